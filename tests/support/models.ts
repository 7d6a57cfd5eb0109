// Generated model folders for tests, cached under <repo>/.cache/models and rebuilt when the generator changes.
import path from "node:path";
import { ensureGeneratedModelIn, type GeneratedKind } from "../../src/model-tooling/generate/index.js";
import { REPO_ROOT } from "../../src/model-tooling/repo-paths.js";

export const TEST_MODELS_DIR = path.join(REPO_ROOT, ".cache", "models");
/** Published tokenizer files that ship in the repository (models/tokenizers/README.md). */
export const SHARED_TOKENIZERS = path.join(REPO_ROOT, "models", "tokenizers");

const pending = new Map<GeneratedKind, Promise<string>>();

/** The folder of a generated model (random weights, real input/output contract). Safe to call from parallel workers. */
export function ensureGeneratedModel(kind: GeneratedKind): Promise<string> {
  let folder = pending.get(kind);
  if (!folder) {
    folder = ensureGeneratedModelIn(TEST_MODELS_DIR, kind);
    folder.catch(() => pending.delete(kind));
    pending.set(kind, folder);
  }
  return folder;
}
