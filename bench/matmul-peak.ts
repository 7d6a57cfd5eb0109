// What this CPU can do for a transformer's own matrix shapes: onnxruntime running one MatMul, fp32 and int8
// (the int8 ops our quantised graphs run: DynamicQuantizeLinear → MatMulInteger with per-channel int8
// weights → rescale), with the session options the service uses. The best GFLOP/s over the shapes is the
// "peak" that bench:embed divides by; and the model's FLOPs per item turn items/s into GFLOP/s.
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import type { InferenceSession } from "onnxruntime-node";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/** Encoder widths of the generated full-size models (src/models/generate/index.ts). */
export const LINEAR_SHAPES: Array<[k: number, n: number]> = [
  [768, 768],
  [768, 3072],
  [3072, 768],
];

function matmulGraph(m: number, k: number, n: number, precision: "fp32" | "int8"): Uint8Array {
  const w = Float32Array.from({ length: k * n }, (_, i) => Math.sin(i * 12.9898) / Math.sqrt(k));
  const tensor = (name: string, dims: number[], dataType: number, data: ArrayBufferView) => ({ name, dims, dataType, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  const nodes: Array<{ opType: string; input: string[]; output: string[]; attribute?: Array<{ name: string; type: number; i: number }> }> = [];
  const inits = [];
  if (precision === "fp32") {
    inits.push(tensor("W", [k, n], T.FLOAT, w));
    nodes.push({ opType: "MatMul", input: ["A", "W"], output: ["Y"] });
  } else {
    const scales = new Float32Array(n);
    for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) scales[j] = Math.max(scales[j], Math.abs(w[i * n + j]) / 127);
    inits.push(
      tensor("Wq", [k, n], T.INT8, Int8Array.from(w, (v, idx) => Math.round(v / scales[idx % n]))),
      tensor("Wz", [n], T.INT8, new Int8Array(n)),
      tensor("Ws", [n], T.FLOAT, scales),
    );
    nodes.push(
      { opType: "DynamicQuantizeLinear", input: ["A"], output: ["Aq", "As", "Az"] },
      { opType: "MatMulInteger", input: ["Aq", "Wq", "Az", "Wz"], output: ["Yi"] },
      { opType: "Cast", input: ["Yi"], output: ["Yf"], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: T.FLOAT }] },
      { opType: "Mul", input: ["As", "Ws"], output: ["S"] },
      { opType: "Mul", input: ["Yf", "S"], output: ["Y"] },
    );
  }
  const info = (name: string, dims: number[]) => ({ name, type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: { name: "matmul", node: nodes.map((nd, i) => ({ ...nd, name: `n${i}` })), initializer: inits, input: [info("A", [m, k])], output: [info("Y", [m, n])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Best GFLOP/s of one MatMul [m, k] × [k, n] over a few repetitions (about 0.3 s each). */
export async function matmulGflops(m: number, k: number, n: number, precision: "fp32" | "int8", options: InferenceSession.SessionOptions): Promise<number> {
  const session = await ort.InferenceSession.create(matmulGraph(m, k, n, precision), options);
  const a = new ort.Tensor("float32", Float32Array.from({ length: m * k }, (_, i) => Math.cos(i * 0.37)), [m, k]);
  await session.run({ A: a });
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    let runs = 0;
    const start = performance.now();
    while (performance.now() - start < 300) {
      await session.run({ A: a });
      runs++;
    }
    best = Math.max(best, (2 * m * k * n * runs) / ((performance.now() - start) / 1000) / 1e9);
  }
  await session.release();
  return best;
}

/** The best of `matmulGflops` over the model's linear shapes, with `rows` token rows per run. */
export async function peakGflops(rows: number, precision: "fp32" | "int8", options: InferenceSession.SessionOptions): Promise<{ gflops: number; shape: string }> {
  let best = { gflops: 0, shape: "" };
  for (const [k, n] of LINEAR_SHAPES) {
    const gflops = await matmulGflops(rows, k, n, precision, options);
    if (gflops > best.gflops) best = { gflops, shape: `[${rows}×${k}]·[${k}×${n}]` };
  }
  return best;
}

/** Matrix FLOPs of one pre-/post-norm transformer encoder pass over `tokens` tokens (linear layers + attention). */
export function encoderFlops(tokens: number, layers: number, hidden: number, mlp: number): number {
  const linear = 2 * tokens * (4 * hidden * hidden + 2 * hidden * mlp);
  const attention = 2 * 2 * tokens * tokens * hidden;
  return layers * (linear + attention);
}

/** FLOPs per item of the generated full-size models (random weights, real sizes), by graph and mode. */
export function itemFlops(family: "visualized-bge" | "clip", mode: "image" | "text" | "composed", textTokens: number): number {
  if (family === "visualized-bge") {
    const patches = 196;
    const vision = encoderFlops(patches + 1, 12, 768, 3072) + 2 * 2 * patches * 768 * 768; // + patch embedding and visual_proj
    const bertTokens = mode === "image" ? patches + 2 : patches + textTokens;
    return mode === "text" ? encoderFlops(textTokens, 12, 768, 3072) : vision + encoderFlops(bertTokens, 12, 768, 3072);
  }
  const vision = encoderFlops(50, 12, 768, 3072) + 2 * 49 * 3 * 32 * 32 * 768;
  const text = encoderFlops(textTokens, 12, 512, 2048);
  return mode === "image" ? vision : mode === "text" ? text : vision + text;
}
