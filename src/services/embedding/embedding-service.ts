// What the rest of the server sees of the embedding engine (types only, so families, embedders and the
// loader can all name them without importing each other).
import type { Logger } from "../../logger.js";
import type { ModelManifest } from "../../model-tooling/manifest.js";
import type { DecodedImage } from "../image-decode.js";
import type { RuntimeOptions } from "./onnx-session.js";
import type { OnnxWorker } from "./onnx-worker.js";
import type { TextTokenizer } from "./text-tokenizer.js";

export interface ModelInfo {
  name: string;
  /** A family of the registry in families/ (e.g. "visualized-bge", "clip"). */
  family: string;
  dimension: number;
  /** true = random weights made by us: NOT a real model. */
  generated: boolean;
  source: "folder" | "pulled" | "generated-demo";
  /** Loud text when running on a generated demo model. */
  warning?: string;
  maxTextTokens: number;
}

export interface ComposedEmbedding {
  vector: Float32Array;
  truncated: boolean;
  textTokens: number;
}

export interface EmbeddingService {
  readonly info: ModelInfo;
  /** The gate has decoded the image already (see image-decode.ts); nothing here decodes bytes again. */
  embedImage(image: DecodedImage): Promise<Float32Array>;
  embedText(text: string): Promise<Float32Array>;
  embedComposed(image: DecodedImage, instruction: string, options?: { imageWeight?: number }): Promise<ComposedEmbedding>;
  close(): Promise<void>;
}

export interface EmbeddingDeps {
  logger: Logger;
}

/** What an opened model folder gives its embedder. */
export interface ModelRuntime {
  options: RuntimeOptions;
  maxBatch: number;
  maxWaitMs: number;
  maxBatchTokens: number;
  /** Absolute path of each file role present on disk. */
  files: Record<string, string>;
  /** The thread that holds this model's sessions (and computes image inputs). */
  worker: OnnxWorker;
}

/** An embedder the model loader can build, plus what it needs from model.json. */
export interface LoadedEmbedder extends EmbeddingService {
  /** Opens every session (checking each graph against its contract) so start-up fails fast. */
  warmUp(): Promise<void>;
}

/** A model family: its name in model.json, the graphs it needs, and how to build its embedder. */
export interface EmbedderFamily {
  name: string;
  /** Keys of model.json's `graphs` this family runs. */
  graphs: readonly string[];
  /** Family-specific model.json checks; each string names a problem. */
  manifestProblems?(manifest: ModelManifest): string[];
  create(info: ModelInfo, manifest: ModelManifest, tokenizer: TextTokenizer, runtime: ModelRuntime): LoadedEmbedder;
}
