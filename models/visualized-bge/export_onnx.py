#!/usr/bin/env python3
"""Export BAAI Visualized-BGE (bge-base-en-v1.5 + EVA02-CLIP-B/16) into mmrag's ONNX contract.

Run once on a machine with internet, PyTorch and FlagEmbedding's visual_bge package:

    pip install torch torchvision timm einops ftfy transformers onnx onnxruntime pillow
    git clone https://github.com/FlagOpen/FlagEmbedding && pip install -e FlagEmbedding/research/visual_bge
    # weights: https://huggingface.co/BAAI/bge-visualized  →  Visualized_base_en_v1.5.pth
    python models/visualized-bge/export_onnx.py --weights Visualized_base_en_v1.5.pth \
        --out models/visualized-bge-base-en-v1.5 [--quantize]   # --quantize: also models/visualized-bge-base-en-v1.5-int8

It writes composed.onnx, text.onnx and tokenizer.json into --out, checks ONNX Runtime against PyTorch on
a test image and prompts, and rewrites model.json with each file's size and sha256.

Contract (see models/README.md):
  composed.onnx  pixel_values [B,3,224,224] f32, input_ids [B,T] i64, attention_mask [B,T] i64 -> embeddings [B,768]
                 = Visualized_BGE.encode_mm: [CLS] + 196 EVA patch tokens (visual_proj, BGE positions 1..196,
                 BGE embedding LayerNorm) + text tokens after [CLS] at positions 197+; CLS pooling.
                 Image-only = the same graph with the empty prompt [CLS][SEP].
  text.onnx      input_ids [B,T] i64, attention_mask [B,T] i64 -> embeddings [B,768]  (= encode_text)
"""
import argparse
import hashlib
import json
import pathlib
import sys

import numpy as np
import torch

try:
    from visual_bge.modeling import Visualized_BGE
except ImportError:  # older layout: FlagEmbedding.visual.modeling
    from FlagEmbedding.visual.modeling import Visualized_BGE

OPSET = 17
IMAGE_TOKENS = 196
MAX_COMPOSED_TOKENS = 512 - IMAGE_TOKENS


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


def disable_memory_efficient_attention(module):
    """EVA's blocks may use xformers (xattn=True); ONNX export needs the plain attention path."""
    for m in module.modules():
        if hasattr(m, "xattn"):
            m.xattn = False


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_image():
    from PIL import Image

    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, size=(300, 400, 3), dtype=np.uint8))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", required=True, help="Visualized_base_en_v1.5.pth")
    parser.add_argument("--bge", default="BAAI/bge-base-en-v1.5")
    parser.add_argument("--out", default="models/visualized-bge-base-en-v1.5")
    parser.add_argument("--quantize", action="store_true", help="also write the int8 model folder <out>-int8 (see quantize.py)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = Visualized_BGE(model_name_bge=args.bge, model_weight=args.weights).eval().to("cpu")
    model.device = torch.device("cpu")
    disable_memory_efficient_attention(model)
    tokenizer = model.tokenizer

    image = model.preprocess_val(test_image()).unsqueeze(0)
    prompt = tokenizer(["a phone case with this image theme"], return_tensors="pt", padding=True)
    empty = tokenizer([""], return_tensors="pt", padding=True)
    assert empty["input_ids"].tolist() == [[101, 102]], empty["input_ids"]

    composed_path = out / "composed.onnx"
    text_path = out / "text.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Composed(model),
            (image, prompt["input_ids"], prompt["attention_mask"]),
            str(composed_path),
            input_names=["pixel_values", "input_ids", "attention_mask"],
            output_names=["embeddings"],
            dynamic_axes={"pixel_values": {0: "batch"}, "input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "embeddings": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
        torch.onnx.export(
            TextOnly(model),
            (prompt["input_ids"], prompt["attention_mask"]),
            str(text_path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embeddings"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "embeddings": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )

    # The fast tokenizer's tokenizer.json: same WordPiece vocabulary and ids as the slow one the model uses.
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(args.bge, use_fast=True).save_pretrained(str(out / "tokenizer-export"))
    (out / "tokenizer-export" / "tokenizer.json").replace(out / "tokenizer.json")

    check(model, composed_path, text_path, image, tokenizer)

    files = {"composed": {"path": "composed.onnx"}, "text": {"path": "text.onnx"}, "tokenizer": {"path": "tokenizer.json"}}
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
            "dimension": 768,
            "generated": False,
            "files": files,
            "graphs": {
                "composed": {"file": "composed", "inputs": {"pixelValues": "pixel_values", "inputIds": "input_ids", "attentionMask": "attention_mask"}, "output": "embeddings"},
                "text": {"file": "text", "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask"}, "output": "embeddings"},
            },
            "image": {"size": 224, "resizeShortestEdge": 224, "resample": "bicubic", "crop": "center", "mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]},
            "text": {"tokenizer": "tokenizer", "maxTokens": 512, "maxComposedTokens": MAX_COMPOSED_TOKENS, "padId": 0},
            "imageTokens": IMAGE_TOKENS,
        }
    )
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"Exported to {out}. Start the server with MODELS_DIR={out.parent} MODEL={out.name}")
    if args.quantize:
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        from quantize import quantize_folder

        int8 = quantize_folder(out, out.with_name(out.name + "-int8"))
        print(f"int8 copy in {int8}: MODEL={int8.name}")


def check(model, composed_path, text_path, image, tokenizer):
    """ONNX Runtime must reproduce PyTorch: batch of two with padding, image-only, and text-only."""
    import onnxruntime as ort

    composed = ort.InferenceSession(str(composed_path), providers=["CPUExecutionProvider"])
    text = ort.InferenceSession(str(text_path), providers=["CPUExecutionProvider"])
    images = torch.cat([image, torch.flip(image, dims=[3])])
    prompts = tokenizer(["a phone case with this image theme", "red"], return_tensors="pt", padding=True)
    empty = tokenizer(["", ""], return_tensors="pt", padding=True)
    with torch.no_grad():
        cases = [
            ("composed", composed, model.encode_mm(images, prompts), {"pixel_values": images, **prompts}),
            ("image-only", composed, model.encode_mm(images, empty), {"pixel_values": images, **empty}),
            ("text-only", text, model.encode_text(prompts), dict(prompts)),
        ]
    worst = 0.0
    for name, session, expected, feeds in cases:
        feeds = {k: v.numpy() for k, v in feeds.items() if k in {i.name for i in session.get_inputs()}}
        got = session.run(["embeddings"], feeds)[0]
        got = got / np.linalg.norm(got, axis=1, keepdims=True)
        want = torch.nn.functional.normalize(expected, dim=-1).numpy()
        diff = float(np.abs(got - want).max())
        cos = float((got * want).sum(axis=1).min())
        print(f"{name:11s} max |onnx - torch| = {diff:.2e}, min cosine = {cos:.6f}")
        worst = max(worst, diff)
        if cos < 0.9999:
            sys.exit(f"{name}: ONNX output differs from PyTorch (cosine {cos})")
    print(f"ONNX matches PyTorch (worst abs diff {worst:.2e})")


if __name__ == "__main__":
    main()
