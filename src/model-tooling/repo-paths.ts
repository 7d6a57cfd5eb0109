// Where the repository's own files are, from this module's location (src/model-tooling or dist/model-tooling).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * A tokenizer file we ship under models/tokenizers (BERT uncased and CLIP BPE), or that the checkout's sibling
 * shared/ folder holds.
 */
export function findTokenizerFile(id: "bert-base-uncased" | "clip", file = "tokenizer.json"): string | undefined {
  const candidates = [path.join(REPO_ROOT, "models", "tokenizers", id, file), path.resolve(REPO_ROOT, "..", "shared", "tokenizers", id, file)];
  return candidates.find((c) => fs.existsSync(c));
}
