// MODEL=<folder> opens that folder; MODEL=auto tries, in order: the default CLIP folder if complete,
// a pull of it from HF_ENDPOINT, and finally a generated demo model with a loud warning.
import fs from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.js";
import { DEMO_WARNING, ensureGeneratedModelIn } from "../../model-tooling/generate/index.js";
import { DEFAULT_MODEL, pullModel } from "../../model-tooling/pull.js";
import type { EmbeddingDeps, EmbeddingService } from "./embedding-service.js";
import { isModelFolderComplete, openModelFolder } from "./model-folder.js";

export const DEMO_KIND = "vbge-tiny" as const;
/** How long `auto` waits for the hub before falling back to the demo model, so start-up stays quick offline. */
const AUTO_PULL_CONNECT_TIMEOUT_MS = 4000;
/** After a failed pull, `auto` goes straight to the demo model for this long (`mmrag models pull` retries at once). */
const AUTO_PULL_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

export async function resolveModel(config: Config["model"], deps: EmbeddingDeps): Promise<EmbeddingService> {
  if (config.name !== "auto") return openModelFolder(path.join(config.modelsDir, config.name), "folder", config, deps);

  const defaultFolder = path.join(config.modelsDir, DEFAULT_MODEL);
  if (await isModelFolderComplete(defaultFolder)) return openModelFolder(defaultFolder, "folder", config, deps);

  const { logger } = deps;
  const generatedDir = path.join(config.modelsDir, ".generated");
  const failedPull = path.join(generatedDir, "auto-pull-failed.json");
  const lastFailure = await recentPullFailure(failedPull, config.hfEndpoint);
  if (lastFailure) {
    // Offline machines would otherwise wait for the hub on every start and every CLI command.
    logger.info({ model: DEFAULT_MODEL, endpoint: config.hfEndpoint, failedAt: lastFailure }, "MODEL=auto: the last pull failed recently; using the generated demo model");
  } else {
    try {
      logger.info({ model: DEFAULT_MODEL, endpoint: config.hfEndpoint }, "MODEL=auto: default model not found locally, pulling it");
      await pullModel(DEFAULT_MODEL, { modelsDir: config.modelsDir, endpoint: config.hfEndpoint, logger, connectTimeoutMs: AUTO_PULL_CONNECT_TIMEOUT_MS });
      await fs.rm(failedPull, { force: true });
      return await openModelFolder(defaultFolder, "pulled", config, deps);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, `MODEL=auto: could not pull ${DEFAULT_MODEL}; falling back to a generated demo model`);
      await fs.mkdir(generatedDir, { recursive: true });
      await fs.writeFile(failedPull, JSON.stringify({ endpoint: config.hfEndpoint, at: new Date().toISOString(), error: (err as Error).message }));
    }
  }
  const folder = await ensureGeneratedModelIn(generatedDir, DEMO_KIND);
  return openModelFolder(folder, "generated-demo", config, deps, { warning: DEMO_WARNING });
}

/** When the last pull from this endpoint failed, if that was recent. */
async function recentPullFailure(file: string, endpoint: string): Promise<string | undefined> {
  try {
    const failure = JSON.parse(await fs.readFile(file, "utf8")) as { endpoint?: string; at?: string };
    const age = Date.now() - Date.parse(failure.at ?? "");
    return failure.endpoint === endpoint && age >= 0 && age < AUTO_PULL_RETRY_AFTER_MS ? failure.at : undefined;
  } catch {
    return undefined;
  }
}
