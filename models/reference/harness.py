#!/usr/bin/env python3
"""Reference harness: true-architecture Visualized-BGE and CLIP with seeded random weights, exported by the
project's own export scripts, and the reference embeddings computed through the reference code exactly as
users call it. Writes what the parity test reads (see README.md in this folder):

  python models/reference/harness.py --flag-embedding /path/to/FlagEmbedding/research/visual_bge \
      --size tiny --out tests/parity/fixtures
  python models/reference/harness.py --flag-embedding ... --size full --out .cache/parity-full --images tests/parity/fixtures/images
"""
import argparse
import hashlib
import json
import pathlib
import platform
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from fixture_images import make_images, scene  # noqa: E402
from fixture_texts import TEXTS  # noqa: E402
from reference_env import import_torchvision  # noqa: E402


def export_script(family: str):
    """The project's export script for a family (both are named export_onnx.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"export_{family.replace('-', '_')}", REPO / "models" / family / "export_onnx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

SEEDS = {"visualized-bge": 16, "clip": 32}
COMPOSED_TEXTS = ["plain", "accents", "cjk", "emoji", "control", "unassigned", "over-316-tokens"]
COMPOSED_IMAGE = "photo-1000x750.jpg"


def unit(v) -> list:
    v = v.detach().double().reshape(-1).numpy() if torch.is_tensor(v) else np.asarray(v, dtype=np.float64)
    return [float(x) for x in v / np.linalg.norm(v)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_images(out: pathlib.Path, images_from: pathlib.Path | None, work: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, dict]:
    """The fixture images (made, or reused from an earlier run) and their corrected copies (made by mmrag's decode)."""
    corrected = work / "corrected"
    shutil.rmtree(corrected, ignore_errors=True)
    if images_from:
        images, made = images_from, json.loads((images_from.parent / "images.json").read_text())
        p3 = []
    else:
        images = out / "images"
        shutil.rmtree(images, ignore_errors=True)
        made = make_images(images)
        scene(640, 480, 12).save(work / "p3-source.png")
        made["p3-640x480.jpg"] = "Display-P3-tagged JPEG (sharp converts it to sRGB)"
        (out / "images.json").write_text(json.dumps(made, indent=2, ensure_ascii=False) + "\n")
        p3 = [str(work / "p3-source.png")]
    subprocess.run(["npx", "--no-install", "tsx", str(HERE / "corrected-copies.ts"), str(images), str(corrected), *p3], cwd=REPO, check=True)
    return images, corrected, made


def corrected_path(corrected: pathlib.Path, name: str) -> pathlib.Path:
    return corrected / (name.rsplit(".", 1)[0] + ".png")


def fixture_folder(exported: pathlib.Path) -> None:
    """A committed model folder: graphs and model.json; the tokenizer comes from models/tokenizers/ at test time."""
    manifest = json.loads((exported / "model.json").read_text())
    manifest["files"]["tokenizer"] = {"path": "tokenizer.json"}
    for entry in manifest["files"].values():
        entry.pop("quantized", None)
    manifest["description"] = "Random weights (reference harness fixture): NOT a real model."
    (exported / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for q in exported.rglob("*_quantized.onnx"):
        q.unlink()
    (exported / "tokenizer.json").unlink()


def visualized_bge(args, images, corrected, names, out, work, timings):
    import vbge_checkpoint
    vbge_export = export_script("visualized-bge")

    started = time.time()
    bge_folder, weights = vbge_checkpoint.build_checkpoint(args.flag_embedding, args.size, SEEDS["visualized-bge"], work / "visualized-bge")
    timings["visualized-bge checkpoint"] = time.time() - started
    model = vbge_checkpoint.load_reference(args.flag_embedding, args.size, bge_folder, weights)
    vbge_export.import_visualized_bge(args.flag_embedding)  # sets xops = None, as the export does
    started = time.time()
    folder = out / "models" / f"visualized-bge-{args.size}"
    shutil.rmtree(folder, ignore_errors=True)
    vbge_export.export(vbge_checkpoint.load_reference(args.flag_embedding, args.size, bge_folder, weights), folder, bge_folder, quantize=args.quantize)
    timings["visualized-bge export"] = time.time() - started
    if args.size == "tiny":
        # quantize.py's int8 copy is committed too: CI checks that the graphs it writes batch without moving a vector.
        sys.path.insert(0, str(REPO / "models" / "visualized-bge"))
        from quantize import quantize_folder

        int8 = quantize_folder(folder, folder.with_name(folder.name + "-int8"))
        fixture_folder(folder)
        fixture_folder(int8)

    from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy

    legacy = BertTokenizerLegacy(str(bge_folder / "vocab.txt"), do_lower_case=True)
    rust = model.tokenizer
    # Visualized_BGE asks for the slow tokenizer (use_fast=False); transformers 5 gives the Rust one anyway,
    # which keeps unassigned (Cn) and private-use characters as [UNK] where the slow one drops them.
    model.tokenizer = legacy
    tokenizer = model.tokenizer
    pixels_of = __import__("torchvision").transforms.Compose(model.preprocess_val.transforms[:3])
    result = {"images": {}, "texts": {}, "composed": {}, "tokens": {}}
    started = time.time()
    with torch.no_grad():
        for name in names:
            entry = {}
            for kind, path in (("original", images / name), ("corrected", corrected_path(corrected, name))):
                entry[kind] = unit(model.encode(image=str(path)))
                entry[f"{kind}Pixels"] = sha(pixels_of(Image.open(path)).tobytes())
            result["images"][name] = entry
        for key, text in TEXTS.items():
            result["tokens"][key] = {"ids": tokenizer(text)["input_ids"], "rustIds": rust(text)["input_ids"]}
            if key != "empty":
                # encode(text=...) as users call it; over 512 tokens it cannot run, so the cut is made as mmrag makes it
                vec = model.encode(text=text) if len(result["tokens"][key]["ids"]) <= 512 else model.encode_text(tokenizer(text, return_tensors="pt", truncation=True, max_length=512))
                result["texts"][key] = unit(vec)
        for key in COMPOSED_TEXTS:
            text = TEXTS[key]
            for name in (names if key == "plain" else [COMPOSED_IMAGE]):
                for kind, path in (("original", images / name), ("corrected", corrected_path(corrected, name))):
                    if len(result["tokens"][key]["ids"]) <= 316:
                        vec = model.encode(image=str(path), text=text)
                    else:  # 196 image tokens + the text must fit BERT's 512 positions: cut to 316 as mmrag does
                        pixel_values = model.preprocess_val(Image.open(path)).unsqueeze(0)
                        vec = model.encode_mm(pixel_values, tokenizer(text, return_tensors="pt", truncation=True, max_length=316))
                    result["composed"].setdefault(name, {}).setdefault(key, {})[kind] = unit(vec)
    timings["visualized-bge reference"] = time.time() - started
    return result


def clip(args, images, corrected, names, out, work, timings):
    import clip_checkpoint
    clip_export = export_script("clip")

    started = time.time()
    folder = clip_checkpoint.build_checkpoint(args.size, SEEDS["clip"], work / "clip")
    timings["clip checkpoint"] = time.time() - started
    started = time.time()
    exported = out / "models" / f"clip-{args.size}"
    shutil.rmtree(exported, ignore_errors=True)
    clip_export.export(folder, exported, quantize=args.quantize)
    timings["clip export"] = time.time() - started
    if args.size == "tiny":
        fixture_folder(exported)

    model, pil_processor, torchvision_processor, tokenizer = clip_checkpoint.load_reference(folder)
    raw = pil_processor.__class__.from_pretrained(str(folder), do_rescale=False, do_normalize=False)
    result = {"images": {}, "texts": {}, "tokens": {}}
    started = time.time()
    with torch.no_grad():
        for name in names:
            entry = {}
            for kind, path in (("original", images / name), ("corrected", corrected_path(corrected, name))):
                image = Image.open(path)
                entry[kind] = unit(clip_export.features(model.get_image_features(**pil_processor(images=image, return_tensors="pt"))))
                cropped = np.asarray(raw(images=image, return_tensors="np")["pixel_values"][0]).round().astype(np.uint8)
                entry[f"{kind}Pixels"] = sha(np.ascontiguousarray(cropped.transpose(1, 2, 0)).tobytes())
                # transformers 5's default processor (torchvision backend, not PIL): reported, not a target
                entry[f"{kind}TorchvisionBackend"] = unit(clip_export.features(model.get_image_features(**torchvision_processor(images=image, return_tensors="pt"))))
            result["images"][name] = entry
        for key, text in TEXTS.items():
            tokens = tokenizer(text, return_tensors="pt", truncation=True, max_length=77)
            result["tokens"][key] = {"ids": tokens["input_ids"][0].tolist()}
            result["texts"][key] = unit(clip_export.features(model.get_text_features(**tokens)))
    timings["clip reference"] = time.time() - started
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flag-embedding", required=True, help="FlagEmbedding's research/visual_bge folder")
    parser.add_argument("--size", choices=["tiny", "full"], default="tiny")
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", help="checkpoints and corrected copies (default: .cache/reference-work-<size>)")
    parser.add_argument("--images", help="reuse the images (and corrected copies) of an earlier run instead of making them")
    parser.add_argument("--quantize", action="store_true", help="also export the int8 variants")
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    work = pathlib.Path(args.work or REPO / ".cache" / f"reference-work-{args.size}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    import_torchvision()
    torch.set_num_threads(max(1, torch.get_num_threads()))

    timings = {}
    images, corrected, made = prepare_images(out, pathlib.Path(args.images).resolve() if args.images else None, work)
    names = sorted(made)
    import transformers

    reference = {
        "size": args.size,
        "seeds": SEEDS,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__, "pillow": Image.__version__},
        "texts": TEXTS,
        "images": made,
        "visualized-bge": visualized_bge(args, images, corrected, names, out, work, timings),
        "clip": clip(args, images, corrected, names, out, work, timings),
        "timings": {k: round(v, 1) for k, v in timings.items()},
    }
    (out / "reference.json").write_text(json.dumps(reference, ensure_ascii=False) + "\n")
    print(json.dumps(reference["timings"], indent=2))


if __name__ == "__main__":
    main()
