// Session options from config, session loading with a contract check, and the tensors a batch feeds in.
import type { InferenceSession } from "onnxruntime-node";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import { contractProblems, type GraphContract } from "./graph-contract.js";
import type { OnnxWorker, TensorData, WorkerSession } from "./onnx-worker.js";

export type RuntimeOptions = Pick<Config["model"], "intraOpThreads" | "interOpThreads" | "graphOptimization"> & {
  /** false for a session that takes turns with another on the same cores (CLIP's text tower). */
  spinning?: boolean;
};

export function sessionOptions(options: RuntimeOptions): InferenceSession.SessionOptions {
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: options.graphOptimization,
    executionMode: "sequential",
    // 0 lets onnxruntime choose (one thread per physical core).
    ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.interOpThreads > 0 ? { interOpNumThreads: options.interOpThreads } : {}),
    // Each session has its own thread pool whose idle threads spin by default: good for one session, but
    // a session that runs between another's batches would burn, while idle, the cores the other needs.
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } } } : {}),
  };
}

export async function openSession(worker: OnnxWorker, key: string, file: string, options: RuntimeOptions, contract: GraphContract): Promise<WorkerSession> {
  let session: WorkerSession;
  try {
    session = await worker.load(key, file, sessionOptions(options));
  } catch (err) {
    throw new ConfigError(`onnxruntime could not load ${file}: ${(err as Error).message}`);
  }
  const problems = contractProblems(contract, session.inputMetadata, session.outputMetadata);
  if (problems.length > 0) {
    await session.release();
    throw new ConfigError(`${file} does not match its model.json:\n  ${problems.join("\n  ")}`);
  }
  return session;
}

export function int64Tensor(rows: number[][], pad: number): TensorData {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * width).fill(BigInt(pad));
  rows.forEach((r, i) => r.forEach((id, j) => (data[i * width + j] = BigInt(id))));
  return { type: "int64", data, dims: [rows.length, width] };
}

export function maskTensor(rows: number[][]): TensorData {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => data.fill(1n, i * width, i * width + r.length));
  return { type: "int64", data, dims: [rows.length, width] };
}

export function pixelTensor(images: Float32Array[], size: number): TensorData {
  const plane = 3 * size * size;
  const data = new Float32Array(images.length * plane);
  images.forEach((img, i) => data.set(img, i * plane));
  return { type: "float32", data, dims: [images.length, 3, size, size] };
}

/** The [B, dim] float output, checked against the manifest's dimension. */
export function embeddingsOutput(result: Record<string, TensorData>, name: string, batch: number, dimension: number): Float32Array {
  const out = result[name];
  if (!out || out.type !== "float32" || out.dims.length !== 2 || out.dims[0] !== batch || out.dims[1] !== dimension) {
    throw new Error(`Model output ${name} has shape ${JSON.stringify(out?.dims)} (${out?.type}); expected [${batch}, ${dimension}] float32`);
  }
  return out.data as Float32Array;
}
