#!/usr/bin/env python3
"""Write an int8 copy of an mmrag model folder (Visualized-BGE's composed.onnx and text.onnx, or any folder
whose model.json names its graphs).

    python models/visualized-bge/quantize.py models/visualized-bge-base-en-v1.5 \
        [--out models/visualized-bge-base-en-v1.5-int8]

Every MatMul with a constant weight gets int8 weights with one scale per output channel; its input is quantised
at run time with one scale per token (per row of the last axis: max |x| / 127, stored as uint8 around 128).
Attention products (activation x activation), embeddings, LayerNorms and the patch convolution stay fp32.

Why per token and not onnxruntime's `quantize_dynamic`: that quantises each input with one scale over the
whole tensor, so a row's vector moved with its batch neighbours and mmrag had to run such graphs one row at
a time. A per-token scale depends on that token alone, so these graphs batch and an item's vector is still
bit-identical alone or in any batch (tests/parity/int8-batching.test.ts). It also keeps one outlier token
from coarsening every other token's scale. The int8 products run in onnxruntime's fused MatMulIntegerToFloat
(a com.microsoft operator: these files need onnxruntime, as mmrag uses); the per-token quantiser costs ~7 % at
batch 1 against DynamicQuantizeLinear. Measured figures are in models/README.md.

The output folder gets the quantised graphs, the tokenizer and a model.json with the new files' sizes and
sha256. Needs numpy and onnx.
"""
import argparse
import hashlib
import json
import pathlib
import shutil


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantize_graph(source, target):
    """Writes `source` with every constant-weight MatMul rewritten as per-token int8 (see the module doc)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    nodes, added = [], []
    activations = {}  # input name -> (uint8 tensor, per-token scale): Q, K and V share one quantiser

    def constant(name, value):
        added.append(numpy_helper.from_array(value, name))
        return name

    one = constant("int8_one", np.array(1, np.float32))
    max_code = constant("int8_127", np.array(127, np.float32))
    tiny = constant("int8_tiny", np.array(1e-30, np.float32))  # an all-zero token gets a scale, not a division by 0
    zero_point = constant("int8_zero_point", np.array(128, np.uint8))

    def quantised(x):
        """x as uint8 codes around 128 with one scale per token; few passes over x, since they are memory-bound."""
        if x not in activations:
            p = f"int8_act{len(activations)}"

            def op(op_type, inputs, output, **attrs):
                nodes.append(helper.make_node(op_type, inputs, [f"{p}_{output}"], name=f"{p}_{output}", **attrs))
                return f"{p}_{output}"

            top = op("ReduceMax", [x], "max", axes=[-1], keepdims=1)
            bottom = op("Neg", [op("ReduceMin", [x], "min", axes=[-1], keepdims=1)], "neg_min")
            amax = op("Max", [top, bottom, tiny], "amax")
            scale = op("Div", [amax, max_code], "scale")
            # x * (127 / amax) lies in [-127, 127]; QuantizeLinear(scale 1, zero point 128) rounds half to even,
            # shifts and casts in one pass.
            scaled = op("Mul", [x, op("Div", [max_code, amax], "inverse")], "scaled")
            activations[x] = (op("QuantizeLinear", [scaled, one, zero_point], "uint8"), scale)
        return activations[x]

    count = 0
    for node in graph.node:
        weight = initializers.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2 or weight.data_type != TensorProto.FLOAT:
            nodes.append(node)
            continue
        count += 1
        p = f"int8_mm{count}"
        w = numpy_helper.to_array(weight)
        w_scale = np.abs(w).max(axis=0) / 127
        w_scale[w_scale == 0] = 1
        constant(f"{p}_w", np.clip(np.round(w / w_scale), -127, 127).astype(np.int8))
        constant(f"{p}_w_scale", w_scale.astype(np.float32))
        x_uint8, x_scale = quantised(node.input[0])
        nodes += [
            # onnxruntime's fused int8 GEMM: int32 sums -> float times the weight's per-channel scale, in the kernel.
            helper.make_node(
                "MatMulIntegerToFloat", [x_uint8, f"{p}_w", one, f"{p}_w_scale", zero_point], [f"{p}_columns"], name=f"{p}_columns", domain="com.microsoft"
            ),
            helper.make_node("Mul", [f"{p}_columns", x_scale], list(node.output), name=f"{p}_out"),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [t for t in [*graph.initializer, *added] if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(target))
    return count


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
            "description": f"int8 copy of {manifest['name']} (per-channel int8 weights, activations quantised per token at run time; "
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
