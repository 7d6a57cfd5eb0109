// The embedding engine: one query image + text instruction → one vector (Visualized-BGE composed
// retrieval, or CLIP with a weighted sum), run by onnxruntime-node. See models/README.md.
import type { Config } from "../../config.js";
import type { Logger } from "../../logger.js";
import type { DecodedImage } from "../image-decode.js";
import { resolveModel } from "./resolve-model.js";

export interface ModelInfo {
  name: string;
  family: "visualized-bge" | "clip";
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

/**
 * `config.name` is a folder under `config.modelsDir` holding model.json, or "auto": the CLIP folder if
 * complete, else a pull from `hfEndpoint`, else a generated demo model (with a loud warning).
 */
export function loadEmbeddingService(config: Config["model"], deps: EmbeddingDeps): Promise<EmbeddingService> {
  return resolveModel(config, deps);
}
