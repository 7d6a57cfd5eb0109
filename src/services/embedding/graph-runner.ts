// One ONNX graph behind a dynamic batcher: the session is opened once (a memoised promise, so concurrent
// first calls share it), and each batch is one session.run whose rows go back to their callers, except in
// graphs that quantise activations over the whole batch tensor: those run row by row, so that an item's
// vector never depends on what it was batched with.
import type { GraphSpec, ModelManifest } from "../../model-tooling/manifest.js";
import { DynamicBatcher, type BatcherOptions } from "./dynamic-batcher.js";
import { graphOperators, quantisesAcrossRows } from "./onnx-ops.js";
import { embeddingsOutput, openSession, type RuntimeOptions } from "./onnx-session.js";
import type { ModelRuntime } from "./embedding-service.js";
import type { GraphContract } from "./graph-contract.js";
import type { OnnxWorker, TensorData, WorkerSession } from "./onnx-worker.js";
import { normalisedRow } from "./vector-math.js";

export interface GraphRunnerOptions extends BatcherOptions {
  key: string;
  file: string;
  spec: GraphSpec;
  /** Checked against the ONNX file when the session opens. */
  contract: GraphContract;
  dimension: number;
  runtime: RuntimeOptions;
  worker: OnnxWorker;
}

/** One graph's runner options from its model folder; `spinning: false` for a session that takes turns with another. */
export function graphOptions(runtime: ModelRuntime, manifest: ModelManifest, spec: GraphSpec, contract: GraphContract, spinning = true): GraphRunnerOptions {
  return {
    key: spec.file,
    file: runtime.files[spec.file],
    spec,
    contract,
    dimension: manifest.dimension,
    runtime: { ...runtime.options, spinning },
    worker: runtime.worker,
    maxBatch: runtime.maxBatch,
    maxWaitMs: runtime.maxWaitMs,
    maxTokens: runtime.maxBatchTokens,
  };
}

export class GraphRunner<I> {
  private sessionPromise: Promise<WorkerSession> | undefined;
  private rowByRow = false;
  readonly batcher: DynamicBatcher<I, Float32Array>;

  constructor(
    private readonly options: GraphRunnerOptions,
    /** Builds the feeds for a batch; `inputNames` lets optional inputs (CLIP's attention_mask) follow the graph. */
    private readonly feeds: (items: I[], inputNames: readonly string[]) => Record<string, TensorData>,
    /** An item's row length in tokens (see BatcherOptions.maxTokens); without it, batches are counted in items only. */
    tokens?: (item: I) => number,
  ) {
    this.batcher = new DynamicBatcher((items) => this.runBatch(items), options, tokens);
  }

  session(): Promise<WorkerSession> {
    this.sessionPromise ??= this.open();
    return this.sessionPromise;
  }

  private async open(): Promise<WorkerSession> {
    const { worker, key, file, runtime, contract } = this.options;
    // A graph whose operators cannot be read (onnxruntime loaded it all the same) runs row by row: slower, never wrong.
    const [session, alone] = await Promise.all([openSession(worker, key, file, runtime, contract), graphOperators(file).then(quantisesAcrossRows, () => true)]);
    this.rowByRow = alone;
    return session;
  }

  /** true when the graph's int8 activation scales span the batch, so each row runs alone (see onnx-ops.ts). */
  async runsRowByRow(): Promise<boolean> {
    await this.session();
    return this.rowByRow;
  }

  embed(item: I): Promise<Float32Array> {
    return this.batcher.submit(item);
  }

  private async runBatch(items: I[]): Promise<Float32Array[]> {
    if (items.length > 1 && (await this.runsRowByRow())) {
      const rows: Float32Array[] = [];
      for (const item of items) rows.push(...(await this.runBatch([item])));
      return rows;
    }
    const session = await this.session();
    const result = await session.run(this.feeds(items, session.inputNames), [this.options.spec.output]);
    const data = embeddingsOutput(result, this.options.spec.output, items.length, this.options.dimension);
    return items.map((_, row) => normalisedRow(data, row, this.options.dimension));
  }

  /** Finishes queued work; the worker that holds the session is closed by the embedder. */
  async close(): Promise<void> {
    await this.batcher.close();
  }
}
