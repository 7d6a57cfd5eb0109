// The embedding engine: one query image + text instruction → one vector (Visualized-BGE composed
// retrieval, or CLIP with a weighted sum), run by onnxruntime-node. See models/README.md.
import type { Config } from "../../config.js";
import type { EmbeddingDeps, EmbeddingService } from "./embedding-service.js";
import { resolveModel } from "./resolve-model.js";

export type { ComposedEmbedding, EmbeddingDeps, EmbeddingService, ModelInfo } from "./embedding-service.js";

/**
 * `config.name` is a folder under `config.modelsDir` holding model.json, or "auto": the CLIP folder if
 * complete, else a pull from `hfEndpoint`, else a generated demo model (with a loud warning).
 */
export function loadEmbeddingService(config: Config["model"], deps: EmbeddingDeps): Promise<EmbeddingService> {
  return resolveModel(config, deps);
}
