// The embedding models this server has loaded, by name: the configured one, plus any a catalogue's
// collection was built with or a reindex asked for. Each loads once (memoised as a promise).
import fs from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.js";
import { BadUserInputError, ConfigError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { loadEmbeddingService, type EmbeddingService } from "./index.js";

/** A model folder name: no path separators, so a request cannot reach outside MODELS_DIR. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Where MODEL=auto keeps its generated demo model (see resolve-model.ts). */
const GENERATED_FOLDER = ".generated";

export class ModelRegistry {
  private readonly loaded = new Map<string, Promise<EmbeddingService>>();

  constructor(
    /** The model MODEL names: new catalogues are made for it. */
    readonly configured: EmbeddingService,
    private readonly config: Config["model"],
    private readonly logger: Logger,
  ) {
    this.loaded.set(configured.info.name, Promise.resolve(configured));
  }

  /** A model folder under MODELS_DIR (or MODEL=auto's generated demo model), loaded on first use; BAD_USER_INPUT when it cannot be. */
  get(name: string): Promise<EmbeddingService> {
    const known = this.loaded.get(name);
    if (known) return known;
    const loading = this.load(name);
    this.loaded.set(name, loading);
    loading.catch(() => this.loaded.delete(name));
    return loading;
  }

  private async load(name: string): Promise<EmbeddingService> {
    if (!MODEL_NAME.test(name)) throw new BadUserInputError(`"${name}" is not a model folder name under MODELS_DIR`, { field: "model" });
    const generated = path.join(GENERATED_FOLDER, name);
    const folder = (await exists(path.join(this.config.modelsDir, name))) || !(await exists(path.join(this.config.modelsDir, generated))) ? name : generated;
    try {
      const model = await loadEmbeddingService({ ...this.config, name: folder }, { logger: this.logger });
      if (model.info.name !== name) this.loaded.set(model.info.name, Promise.resolve(model));
      return model;
    } catch (err) {
      if (err instanceof ConfigError) throw new BadUserInputError(`The model "${name}" cannot be loaded: ${err.message}`, { field: "model" });
      throw err;
    }
  }

  async close(): Promise<void> {
    const models = await Promise.allSettled([...this.loaded.values()]);
    const unique = new Set(models.flatMap((m) => (m.status === "fulfilled" ? [m.value] : [])));
    await Promise.all([...unique].map((m) => m.close()));
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
