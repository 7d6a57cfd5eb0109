// A test fixture: an int8 copy of a generated model folder, quantised the way onnxruntime's
// `quantize_dynamic` writes the published int8 CLIP files — int8 weights, and activations quantised on the
// fly by DynamicQuantizeLinear, whose one scale spans the whole input tensor (every row of the batch).
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";
import { readManifest } from "../../src/model-tooling/manifest.js";
import { TEST_MODELS_DIR } from "../support/models.js";

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

function floats(t: OnnxTypes.ITensorProto): Float32Array {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** Every MatMul with a constant 2-D float weight becomes DynamicQuantizeLinear → MatMulInteger → rescale. */
function quantiseGraph(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const weights = new Map(graph.initializer!.map((t) => [t.name!, t]));
  const nodes: OnnxTypes.INodeProto[] = [];
  const added: OnnxTypes.ITensorProto[] = [];
  for (const node of graph.node!) {
    const w = node.opType === "MatMul" ? weights.get(node.input![1]) : undefined;
    if (!w || w.dims!.length !== 2 || w.dataType !== DataType.FLOAT) {
      nodes.push(node);
      continue;
    }
    const values = floats(w);
    const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127 || 1;
    const q = Int8Array.from(values, (v) => Math.round(v / scale));
    const p = `${node.name}_dq`;
    added.push(
      { name: `${p}_w`, dims: w.dims, dataType: DataType.INT8, rawData: new Uint8Array(q.buffer) },
      { name: `${p}_wzero`, dims: [], dataType: DataType.INT8, rawData: new Uint8Array(1) },
      { name: `${p}_wscale`, dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.of(scale).buffer) },
    );
    const op = (opType: string, input: string[], output: string[], attribute: OnnxTypes.IAttributeProto[] = []) =>
      nodes.push({ opType, name: `${p}_${output[0]}`, input, output, attribute });
    op("DynamicQuantizeLinear", [node.input![0]], [`${p}_x`, `${p}_xscale`, `${p}_xzero`]);
    op("MatMulInteger", [`${p}_x`, `${p}_w`, `${p}_xzero`, `${p}_wzero`], [`${p}_int`]);
    op("Cast", [`${p}_int`], [`${p}_float`], [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }]);
    op("Mul", [`${p}_xscale`, `${p}_wscale`], [`${p}_scale`]);
    op("Mul", [`${p}_float`, `${p}_scale`], node.output!);
  }
  graph.node = nodes;
  graph.initializer = [...graph.initializer!.filter((t) => nodes.some((n) => n.input!.includes(t.name!))), ...added];
  return onnx.ModelProto.encode(model).finish();
}

/** `<folder>-dynamic-int8` beside the generated folder (rebuilt when missing). */
export async function dynamicInt8Copy(folder: string): Promise<string> {
  const target = path.join(TEST_MODELS_DIR, `${path.basename(folder)}-dynamic-int8`);
  if (await fs.access(path.join(target, "model.json")).then(() => true, () => false)) return target;
  const manifest = await readManifest(folder);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const graphRoles = new Set(Object.values(manifest.graphs).map((g) => g!.file));
  const files: typeof manifest.files = {};
  for (const [role, entry] of Object.entries(manifest.files)) {
    const bytes = await fs.readFile(path.join(folder, entry.path));
    const out = graphRoles.has(role) ? quantiseGraph(bytes) : bytes;
    await fs.mkdir(path.dirname(path.join(temp, entry.path)), { recursive: true });
    await fs.writeFile(path.join(temp, entry.path), out);
    files[role] = { path: entry.path };
  }
  const { generator: _generator, ...rest } = manifest;
  await fs.writeFile(path.join(temp, "model.json"), JSON.stringify({ ...rest, name: path.basename(target), files }, null, 2));
  // Parallel test workers may race: the first complete copy wins.
  await fs.rename(temp, target).catch(() => fs.rm(temp, { recursive: true, force: true }));
  return target;
}
