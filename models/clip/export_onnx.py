#!/usr/bin/env python3
"""Export a Hugging Face CLIP checkpoint into the model folder layout mmrag pulls for clip-vit-base-patch32.

    pip install torch transformers onnx onnxruntime pillow
    python models/clip/export_onnx.py --checkpoint openai/clip-vit-base-patch32 --out models/my-clip [--quantize]

--checkpoint is a hub id or a local folder (config.json, weights, tokenizer files). It writes

  onnx/vision_model.onnx  pixel_values [B,3,S,S] f32                 -> image_embeds [B,D]  (get_image_features)
  onnx/text_model.onnx    input_ids [B,T] i64, attention_mask [B,T] i64 -> text_embeds [B,D]  (get_text_features)
  onnx/*_quantized.onnx   with --quantize: dynamic 8-bit weights, made as Xenova's published files were
                          (onnxruntime quantize_dynamic, QUInt8, per channel, reduced range)
  tokenizer.json, model.json (sizes and sha256 filled in)

The outputs are the projected embeddings, never hidden states: under transformers 5 get_*_features return
an output object whose pooler_output holds them (a plain export would give [B,50,768] hidden states).
It checks ONNX Runtime against PyTorch before writing model.json (versions it was run with: torch 2.13 CPU,
transformers 5.18, onnx 1.23, onnxruntime 1.30).
"""
import argparse
import hashlib
import json
import pathlib
import sys
import time

import numpy as np
import torch

OPSET = 17


def features(output):
    """transformers 4 returns the embeddings; transformers 5 an output whose pooler_output holds them."""
    return output if torch.is_tensor(output) else output.pooler_output


class Vision(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return features(self.model.get_image_features(pixel_values=pixel_values))


class Text(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return features(self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export(checkpoint, out, quantize=False):
    from transformers import AutoTokenizer, CLIPModel

    out = pathlib.Path(out)
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    model = CLIPModel.from_pretrained(str(checkpoint), attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(checkpoint))
    size = model.config.vision_config.image_size
    dimension = model.config.projection_dim

    rng = np.random.default_rng(0)
    pixels = torch.from_numpy(rng.standard_normal((2, 3, size, size), dtype=np.float32))
    texts = tokenizer(["a photo of a cat", "red"], return_tensors="pt", padding=True)
    with torch.no_grad():  # the reference first: export may alter the module it traces
        expected = {"vision": Vision(model)(pixels), "text": Text(model)(texts["input_ids"], texts["attention_mask"])}

    vision_path, text_path = out / "onnx" / "vision_model.onnx", out / "onnx" / "text_model.onnx"
    started = time.time()
    with torch.no_grad():
        torch.onnx.export(Vision(model), (pixels[:1],), str(vision_path), input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset_version=OPSET, do_constant_folding=True, dynamo=False)
        torch.onnx.export(Text(model), (texts["input_ids"][:1], texts["attention_mask"][:1]), str(text_path),
                          input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    print(f"exported in {time.time() - started:.1f} s")
    check(vision_path, text_path, expected, pixels, texts)

    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    files = {"vision": {"path": "onnx/vision_model.onnx"}, "text": {"path": "onnx/text_model.onnx"}, "tokenizer": {"path": "tokenizer.json"}}
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        for role, path in (("vision", vision_path), ("text", text_path)):
            q = path.with_name(path.stem + "_quantized.onnx")
            quantize_dynamic(str(path), str(q), per_channel=True, reduce_range=True, weight_type=QuantType.QUInt8)
            files[role]["quantized"] = {"path": f"onnx/{q.name}", "bytes": q.stat().st_size, "sha256": sha256(q)}
    for entry in files.values():
        p = out / entry["path"]
        entry["bytes"] = p.stat().st_size
        entry["sha256"] = sha256(p)

    from transformers.image_processing_base import ImageProcessingMixin

    processor, _ = ImageProcessingMixin.get_image_processor_dict(str(checkpoint))
    resize = processor["size"]  # openai's files say 224; newer ones {"shortest_edge": 224}
    shortest = resize["shortest_edge"] if isinstance(resize, dict) else resize
    manifest = {
        "schemaVersion": 1,
        "name": out.name,
        "family": "clip",
        "dimension": dimension,
        "generated": False,
        "description": f"CLIP exported from {checkpoint} by models/clip/export_onnx.py.",
        "files": files,
        "graphs": {
            "vision": {"file": "vision", "inputs": {"pixelValues": "pixel_values"}, "output": "image_embeds"},
            "text": {"file": "text", "inputs": {"inputIds": "input_ids", "attentionMask": "attention_mask"}, "output": "text_embeds"},
        },
        "image": {
            "size": size,
            "resizeShortestEdge": shortest,
            "resample": "bicubic",
            "crop": "center",
            "mean": [float(x) for x in processor["image_mean"]],
            "std": [float(x) for x in processor["image_std"]],
        },
        "text": {"tokenizer": "tokenizer", "maxTokens": model.config.text_config.max_position_embeddings,
                 "maxComposedTokens": model.config.text_config.max_position_embeddings, "padId": tokenizer.pad_token_id or tokenizer.eos_token_id},
    }
    (out / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def check(vision_path, text_path, expected, pixels, texts):
    import onnxruntime as ort

    cases = [("vision", vision_path, {"pixel_values": pixels.numpy()}), ("text", text_path, {k: v.numpy() for k, v in texts.items() if k in ("input_ids", "attention_mask")})]
    for name, path, feeds in cases:
        got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        want = expected[name].numpy()
        if got.shape != want.shape:
            sys.exit(f"{name}: ONNX output has shape {got.shape}, PyTorch {want.shape}")
        got = got / np.linalg.norm(got, axis=1, keepdims=True)
        want = want / np.linalg.norm(want, axis=1, keepdims=True)
        cos = float((got * want).sum(axis=1).min())
        print(f"{name:6s} max |onnx - torch| = {float(np.abs(got - want).max()):.2e}, min cosine = {cos:.7f}")
        if cos < 0.9999:
            sys.exit(f"{name}: ONNX output differs from PyTorch (cosine {cos})")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="openai/clip-vit-base-patch32")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quantize", action="store_true")
    args = parser.parse_args()
    out = export(args.checkpoint, args.out, quantize=args.quantize)
    print(f"Exported to {out}. Start the server with MODELS_DIR={out.parent} MODEL={out.name}")


if __name__ == "__main__":
    main()
