// onnxruntime-node's session.run blocks the thread that calls it (the binding runs inference
// synchronously inside a promise), so sessions live in a worker thread: the event loop keeps serving
// HTTP while a batch runs. One worker per model; its sessions run one at a time, which also keeps two
// graphs from fighting over the same cores.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { UpstreamUnavailableError } from "../../errors.js";
import type { DecodedImage } from "../image-decode.js";
import type { TensorMetadata } from "./graph-contract.js";
import { MODEL_INPUT_SOURCE, type PixelSpec } from "./model-input.js";

export interface TensorData {
  type: "float32" | "int64";
  data: Float32Array | BigInt64Array;
  dims: number[];
}

export interface WorkerSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  run(feeds: Record<string, TensorData>, fetches: string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

// Plain CommonJS so it runs the same under tsx, vitest and compiled dist/ (no TypeScript loader in the worker).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ortPath);
const sessions = new Map();
${MODEL_INPUT_SOURCE}
parentPort.on("message", async (msg) => {
  try {
    if (msg.type === "modelInput") {
      const tensor = modelInput(msg.pixels, msg.width, msg.height, msg.channels, msg.spec);
      parentPort.postMessage({ id: msg.id, ok: true, value: tensor }, [tensor.buffer]);
    } else if (msg.type === "load") {
      const session = await ort.InferenceSession.create(msg.file, msg.options);
      sessions.set(msg.key, session);
      parentPort.postMessage({ id: msg.id, ok: true, value: { inputNames: session.inputNames, outputNames: session.outputNames, inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata } });
    } else if (msg.type === "run") {
      const feeds = {};
      for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const out = await sessions.get(msg.key).run(feeds, msg.fetches);
      const value = {};
      const transfer = [];
      for (const name of msg.fetches) {
        const t = out[name];
        const data = t.data.slice(); // a copy we own, so it can be transferred
        value[name] = { type: t.type, data, dims: Array.from(t.dims) };
        transfer.push(data.buffer);
      }
      parentPort.postMessage({ id: msg.id, ok: true, value }, transfer);
    } else if (msg.type === "release") {
      const session = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (session) await session.release();
      parentPort.postMessage({ id: msg.id, ok: true });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

const ortPath = createRequire(import.meta.url).resolve("onnxruntime-node");

export class OnnxWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private exited: Promise<void>;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath } });
    this.worker.unref();
    this.worker.on("message", (msg: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) this.worker.unref();
      if (msg.ok) p.resolve(msg.value);
      else p.reject(new Error(msg.error));
    });
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    const fail = (why: string) => {
      this.failure ??= new UpstreamUnavailableError("embedding-model", `The model runtime stopped: ${why}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on("error", (err) => fail(err.message));
    this.worker.on("exit", (code) => fail(`worker exited with code ${code}`));
  }

  private call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // Keep the process alive while work is in flight; an idle worker must not hold it open.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  async load(key: string, file: string, options: object): Promise<WorkerSession> {
    const names = await this.call<Pick<WorkerSession, "inputNames" | "outputNames" | "inputMetadata" | "outputMetadata">>({ type: "load", key, file, options });
    return {
      ...names,
      run: (feeds, fetches) =>
        this.call<Record<string, TensorData>>(
          { type: "run", key, feeds, fetches },
          // Hand the input buffers over instead of copying them (they are built per batch and not reused).
          [...new Set(Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer))],
        ),
      release: () => this.call<void>({ type: "release", key }),
    };
  }

  /** The vision tower's input tensor for an image, computed on this thread (a large photo takes a while to resize). */
  modelInput(image: DecodedImage, spec: PixelSpec): Promise<Float32Array> {
    const { pixels, width, height, channels } = image;
    return this.call<Float32Array>({ type: "modelInput", pixels, width, height, channels, spec: { ...spec } });
  }

  async close(): Promise<void> {
    if (!this.failure) this.failure = new Error("The embedding model has been closed");
    await this.worker.terminate();
    await this.exited;
  }
}
