// MODEL=<folder> opens that folder; MODEL=auto tries, in order: the default CLIP folder if complete,
// a pull of it from HF_ENDPOINT, and finally a generated demo model with a loud warning.
import path from "node:path";
import type { Config } from "../../config.js";
import { DEMO_WARNING, ensureGeneratedModelIn } from "../../model-tooling/generate/index.js";
import { DEFAULT_MODEL, pullModel } from "../../model-tooling/pull.js";
import type { EmbeddingDeps, EmbeddingService } from "./embedding-service.js";
import { isModelFolderComplete, openModelFolder } from "./model-folder.js";

export const DEMO_KIND = "vbge-tiny" as const;
/** How long `auto` waits for the hub before falling back to the demo model, so start-up stays quick offline. */
const AUTO_PULL_CONNECT_TIMEOUT_MS = 4000;

export async function resolveModel(config: Config["model"], deps: EmbeddingDeps): Promise<EmbeddingService> {
  if (config.name !== "auto") return openModelFolder(path.join(config.modelsDir, config.name), "folder", config, deps);

  const defaultFolder = path.join(config.modelsDir, DEFAULT_MODEL);
  if (await isModelFolderComplete(defaultFolder)) return openModelFolder(defaultFolder, "folder", config, deps);

  const { logger } = deps;
  try {
    logger.info({ model: DEFAULT_MODEL, endpoint: config.hfEndpoint }, "MODEL=auto: default model not found locally, pulling it");
    await pullModel(DEFAULT_MODEL, { modelsDir: config.modelsDir, endpoint: config.hfEndpoint, logger, connectTimeoutMs: AUTO_PULL_CONNECT_TIMEOUT_MS });
    return await openModelFolder(defaultFolder, "pulled", config, deps);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, `MODEL=auto: could not pull ${DEFAULT_MODEL}; falling back to a generated demo model`);
  }
  const folder = await ensureGeneratedModelIn(path.join(config.modelsDir, ".generated"), DEMO_KIND);
  return openModelFolder(folder, "generated-demo", config, deps, { warning: DEMO_WARNING });
}
