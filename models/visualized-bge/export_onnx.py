#!/usr/bin/env python3
"""Export BAAI Visualized-BGE (bge-base-en-v1.5 + EVA02-CLIP-B/16) into mmrag's ONNX contract.

Run once on a machine with internet, PyTorch and FlagEmbedding's visual_bge package (versions this was
run with: torch 2.13 CPU, torchvision 0.28, transformers 5.18, timm 1.0, onnx 1.23, onnxruntime 1.30; the
FlagEmbedding code also runs on transformers 4.4x):

    pip install torch torchvision timm einops ftfy transformers onnx onnxruntime pillow
    git clone https://github.com/FlagOpen/FlagEmbedding
    # weights: https://huggingface.co/BAAI/bge-visualized  ->  Visualized_base_en_v1.5.pth
    python models/visualized-bge/export_onnx.py --flag-embedding FlagEmbedding/research/visual_bge \
        --weights Visualized_base_en_v1.5.pth --out models/visualized-bge-base-en-v1.5 [--quantize]

It writes composed.onnx, text.onnx and tokenizer.json into --out, checks ONNX Runtime against PyTorch
(the PyTorch side computed before exporting: torch.onnx.export leaves the module it traced altered) on test
images and prompts, and rewrites model.json with each file's size and sha256. models/reference/ runs it on
random-weight checkpoints of the true architecture.

Contract (see models/README.md):
  composed.onnx  pixel_values [B,3,224,224] f32, input_ids [B,T] i64, attention_mask [B,T] i64 -> embeddings [B,D]
                 = Visualized_BGE.encode_mm: [CLS] + 196 EVA patch tokens (visual_proj, BGE positions 1..196,
                 BGE embedding LayerNorm) + text tokens after [CLS] at positions 197+; CLS pooling.
                 Image-only = the same graph with the empty prompt [CLS][SEP].
  text.onnx      input_ids [B,T] i64, attention_mask [B,T] i64 -> embeddings [B,D]  (= encode_text)
"""
import argparse
import copy
import hashlib
import json
import pathlib
import sys
import time

import numpy as np
import torch

OPSET = 17
IMAGE_TOKENS = 196
MAX_COMPOSED_TOKENS = 512 - IMAGE_TOKENS
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def import_visualized_bge(flag_embedding=None):
    """FlagEmbedding's Visualized_BGE class, with EVA's xformers attention switched off for tracing.

    Whether EVA uses xformers is decided by the module-level `xops` in eva_clip/eva_vit_model.py (the blocks'
    `xattn` flag is ignored), so that is what is cleared.
    """
    if flag_embedding:
        sys.path.insert(0, str(flag_embedding))
    try:
        from visual_bge.modeling import Visualized_BGE
        from visual_bge.eva_clip import eva_vit_model
    except ImportError:  # older layout: FlagEmbedding.visual
        from FlagEmbedding.visual.modeling import Visualized_BGE
        from FlagEmbedding.visual.eva_clip import eva_vit_model
    eva_vit_model.xops = None
    return Visualized_BGE


class Composed(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, input_ids, attention_mask):
        return self.model.encode_mm(pixel_values, {"input_ids": input_ids, "attention_mask": attention_mask})


class TextOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode_text({"input_ids": input_ids, "attention_mask": attention_mask})


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_images():
    from PIL import Image

    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 256, size=(300, 400, 3), dtype=np.uint8)), Image.new("RGB", (320, 240), (200, 40, 90))]


def export(model, out, tokenizer_source, quantize=False):
    """Writes composed.onnx, text.onnx, tokenizer.json and model.json for `model` (a Visualized_BGE) into `out`."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = model.eval().to("cpu")
    model.device = torch.device("cpu")
    tokenizer = model.tokenizer
    dimension = model.bge_embeddings.word_embeddings.embedding_dim

    images = torch.stack([model.preprocess_val(img) for img in test_images()])
    prompts = tokenizer(["a phone case with this image theme", "red"], return_tensors="pt", padding=True)
    empty = tokenizer(["", ""], return_tensors="pt", padding=True)
    assert empty["input_ids"].tolist() == [[101, 102], [101, 102]], empty["input_ids"]
    # The reference outputs come first: torch.onnx.export alters the module it traces, so it traces a copy.
    with torch.no_grad():
        expected = {
            "composed": model.encode_mm(images, prompts),
            "image-only": model.encode_mm(images, empty),
            "text-only": model.encode_text(prompts),
        }
    traced = copy.deepcopy(model)

    composed_path = out / "composed.onnx"
    text_path = out / "text.onnx"
    started = time.time()
    with torch.no_grad():
        torch.onnx.export(
            Composed(traced),
            (images[:1], prompts["input_ids"][:1], prompts["attention_mask"][:1]),
            str(composed_path),
            input_names=["pixel_values", "input_ids", "attention_mask"],
            output_names=["embeddings"],
            dynamic_axes={"pixel_values": {0: "batch"}, "input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "embeddings": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
        torch.onnx.export(
            TextOnly(traced),
            (prompts["input_ids"][:1], prompts["attention_mask"][:1]),
            str(text_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embeddings"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "embeddings": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    print(f"exported in {time.time() - started:.1f} s")

    # The fast tokenizer's tokenizer.json: same WordPiece vocabulary and ids as the slow one the model uses.
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(str(tokenizer_source), use_fast=True).save_pretrained(str(out / "tokenizer-export"))
    (out / "tokenizer-export" / "tokenizer.json").replace(out / "tokenizer.json")
    for leftover in (out / "tokenizer-export").iterdir():
        leftover.unlink()
    (out / "tokenizer-export").rmdir()

    check(composed_path, text_path, expected, images, prompts, empty)

    files = {"composed": {"path": "composed.onnx"}, "text": {"path": "text.onnx"}, "tokenizer": {"path": "tokenizer.json"}}
    if quantize:
        # quantize.py's rewrite (per-channel int8 weights, per-token activations, MatMul only): these graphs batch.
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        from quantize import quantize_graph

        for role, path in (("composed", composed_path), ("text", text_path)):
            q = path.with_name(path.stem + "_quantized.onnx")
            quantize_graph(path, q)
            files[role]["quantized"] = {"path": q.name, "bytes": q.stat().st_size, "sha256": sha256(q)}
    for entry in files.values():
        p = out / entry["path"]
        entry["bytes"] = p.stat().st_size
        entry["sha256"] = sha256(p)

    manifest_path = out / "model.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.update(
        {
            "schemaVersion": 1,
            "name": out.name,
            "family": "visualized-bge",
            "dimension": dimension,
            "generated": False,
            "files": files,
            "graphs": {
                "composed": {"file": "composed", "inputs": {"pixelValues": "pixel_values", "inputIds": "input_ids", "attentionMask": "attention_mask"}, "output": "embeddings"},
                "text": {"file": "text", "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask"}, "output": "embeddings"},
            },
            "image": {"size": 224, "resizeShortestEdge": 224, "resample": "bicubic", "crop": "center", "mean": CLIP_MEAN, "std": CLIP_STD},
            "text": {"tokenizer": "tokenizer", "maxTokens": 512, "maxComposedTokens": MAX_COMPOSED_TOKENS, "padId": 0},
            "imageTokens": IMAGE_TOKENS,
        }
    )
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    if quantize:
        from quantize import quantize_folder

        print(f"int8 model folder (MODEL=<name>-int8): {quantize_folder(out, out.with_name(out.name + '-int8'))}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="Visualized_base_en_v1.5.pth")
    parser.add_argument("--bge", default="BAAI/bge-base-en-v1.5", help="hub id or local folder with bge-base-en-v1.5's config and tokenizer")
    parser.add_argument("--flag-embedding", help="FlagEmbedding's research/visual_bge folder, if visual_bge is not installed")
    parser.add_argument("--out", default="models/visualized-bge-base-en-v1.5")
    parser.add_argument("--quantize", action="store_true", help="also write int8 graphs: *_quantized.onnx variants and the folder <out>-int8 (see quantize.py)")
    args = parser.parse_args()

    Visualized_BGE = import_visualized_bge(args.flag_embedding)
    local = pathlib.Path(args.bge).is_dir()
    model = Visualized_BGE(model_name_bge="BAAI/bge-base-en-v1.5" if local else args.bge, model_weight=args.weights, from_pretrained=args.bge if local else None)
    out = export(model, args.out, args.bge, quantize=args.quantize)
    print(f"Exported to {out}. Start the server with MODELS_DIR={out.parent} MODEL={out.name}")


def check(composed_path, text_path, expected, images, prompts, empty):
    """ONNX Runtime must reproduce PyTorch: a batch of two with padding, image-only, and text-only."""
    import onnxruntime as ort

    composed = ort.InferenceSession(str(composed_path), providers=["CPUExecutionProvider"])
    text = ort.InferenceSession(str(text_path), providers=["CPUExecutionProvider"])
    cases = [
        ("composed", composed, {"pixel_values": images, **prompts}),
        ("image-only", composed, {"pixel_values": images, **empty}),
        ("text-only", text, dict(prompts)),
    ]
    worst = 0.0
    for name, session, feeds in cases:
        feeds = {k: v.numpy() for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}}
        got = session.run(["embeddings"], feeds)[0]
        got = got / np.linalg.norm(got, axis=1, keepdims=True)
        want = torch.nn.functional.normalize(expected[name], dim=-1).numpy()
        diff = float(np.abs(got - want).max())
        cos = float((got * want).sum(axis=1).min())
        print(f"{name:11s} max |onnx - torch| = {diff:.2e}, min cosine = {cos:.7f}")
        worst = max(worst, diff)
        if cos < 0.9999:
            sys.exit(f"{name}: ONNX output differs from PyTorch (cosine {cos})")
    print(f"ONNX matches PyTorch (worst abs diff {worst:.2e})")


if __name__ == "__main__":
    main()
