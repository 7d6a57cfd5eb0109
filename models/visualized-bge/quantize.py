#!/usr/bin/env python3
"""Write an int8 copy of an mmrag model folder (Visualized-BGE's composed.onnx and text.onnx, or any folder
whose model.json names its graphs).

    python models/visualized-bge/quantize.py models/visualized-bge-base-en-v1.5 \
        [--out models/visualized-bge-base-en-v1.5-int8]

Every MatMul with a constant weight gets int8 weights with one scale per output channel (onnxruntime's
`quantize_dynamic`, per_channel=True, QInt8); activations are quantised to uint8 on the fly. Attention
products (activation x activation), embeddings, LayerNorms and the patch convolution stay fp32.

Activation scales are taken over the whole input tensor, so mmrag runs these graphs one row at a time
(src/services/embedding/onnx-ops.ts detects the operators): an item's vector is the same alone or in any
batch. Measured on this 2-core AVX-512 VNNI machine, row-by-row int8 was as fast as batched int8 and faster
than onnxruntime's 8-bit MatMulNBits (whose per-row activation blocks would allow batching, but whose
results still move with the batch shape by ~1e-6, enough to flip roundings deeper in the network).

The output folder gets the quantised graphs, the tokenizer and a model.json with the new files' sizes and
sha256. Needs onnx and onnxruntime (>= 1.17).
"""
import argparse
import hashlib
import json
import logging
import pathlib
import shutil
import tempfile


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantize_graph(source, target):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic's advice about pre-processing does not apply
    with tempfile.TemporaryDirectory() as scratch:  # quantize_dynamic writes beside its output: keep that out of the folder
        tmp = pathlib.Path(scratch) / target.name
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
        shutil.move(str(tmp), str(target))


def quantize_folder(src, out):
    """Writes the int8 copy of model folder `src` into `out` (graphs quantised, everything else copied)."""
    src, out = pathlib.Path(src), pathlib.Path(out)
    manifest = json.loads((src / "model.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    graph_roles = {g["file"] for g in manifest["graphs"].values()}
    files = {}
    for role, entry in manifest["files"].items():
        source = src / entry["path"]
        if not source.exists():
            raise SystemExit(f"{source} is missing: quantise from the fp32 files")
        target = out / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if role in graph_roles:
            quantize_graph(source, target)
            print(f"{role}: {source} ({source.stat().st_size >> 20} MB) -> {target} ({target.stat().st_size >> 20} MB)")
        else:
            shutil.copyfile(source, target)
        files[role] = {"path": entry["path"], "bytes": target.stat().st_size, "sha256": sha256(target)}
    manifest.update(
        {
            "name": out.name,
            "generated": manifest.get("generated", False),
            "files": files,
            "description": f"int8 copy of {manifest['name']} (per-channel int8 weights, activations quantised per row at run time; "
            "models/visualized-bge/quantize.py). Vectors differ slightly from fp32: see models/README.md.",
        }
    )
    manifest.pop("generator", None)
    (out / "model.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="an fp32 model folder (model.json + graphs)")
    parser.add_argument("--out", help="default: <folder>-int8")
    args = parser.parse_args()
    out = quantize_folder(args.folder, args.out or f"{str(args.folder).rstrip('/')}-int8")
    print(f"Wrote {out}. Use it with MODELS_DIR={out.parent} MODEL={out.name}")


if __name__ == "__main__":
    main()
