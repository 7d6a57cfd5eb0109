// Opens a model folder: manifest, file check (names the missing file and the pull command), lazy
// sha256 check (remembered per file size+mtime), tokenizer, sessions warmed up front so start-up fails fast.
import fs from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import { sha256File } from "../../model-tooling/hash-file.js";
import { findMissingFiles, MANIFEST_FILE, presentVariant, readManifest, type ModelManifest } from "../../model-tooling/manifest.js";
import type { EmbeddingDeps, LoadedEmbedder, ModelInfo, ModelRuntime } from "./embedding-service.js";
import { familyFor } from "./families.js";
import { OnnxWorker } from "./onnx-worker.js";
import { TextTokenizer } from "./text-tokenizer.js";

const VERIFIED_STAMP = ".verified.json";

export function pullCommand(name: string): string {
  return `npm run mmrag -- models pull ${name}`;
}

async function readStamp(folder: string): Promise<Record<string, { bytes: number; mtimeMs: number; sha256: string }>> {
  return fs.readFile(path.join(folder, VERIFIED_STAMP), "utf8").then(JSON.parse, () => ({}));
}

/** Hashes each file whose size or mtime changed since it was last verified; a mismatch stops start-up. */
async function verifyChecksums(folder: string, manifest: ModelManifest, files: Record<string, string>, expected: Record<string, string | undefined>): Promise<void> {
  const stamp = await readStamp(folder);
  let changed = false;
  for (const [role, file] of Object.entries(files)) {
    const sha = expected[role];
    if (!sha) continue;
    const stat = await fs.stat(file);
    const rel = path.relative(folder, file);
    const known = stamp[rel];
    if (known && known.bytes === stat.size && known.mtimeMs === stat.mtimeMs && known.sha256 === sha) continue;
    const actual = await sha256File(file);
    if (actual !== sha) {
      throw new ConfigError(`Model "${manifest.name}": ${file} has sha256 ${actual}, the manifest expects ${sha}. Delete it and run \`${pullCommand(manifest.name)}\`.`);
    }
    stamp[rel] = { bytes: stat.size, mtimeMs: stat.mtimeMs, sha256: sha };
    changed = true;
  }
  if (changed) {
    // Best effort: a read-only model folder just means hashing again next start.
    const temp = path.join(folder, `${VERIFIED_STAMP}.${process.pid}.tmp`);
    await fs
      .writeFile(temp, JSON.stringify(stamp, null, 2))
      .then(() => fs.rename(temp, path.join(folder, VERIFIED_STAMP)))
      .catch(() => fs.rm(temp, { force: true }));
  }
}

export async function isModelFolderComplete(folder: string): Promise<boolean> {
  try {
    return (await findMissingFiles(folder, await readManifest(folder))).length === 0;
  } catch {
    return false;
  }
}

export async function openModelFolder(
  folder: string,
  source: ModelInfo["source"],
  config: Config["model"],
  deps: EmbeddingDeps,
  extra: { warning?: string } = {},
): Promise<LoadedEmbedder> {
  const name = path.basename(folder);
  try {
    await fs.access(path.join(folder, MANIFEST_FILE));
  } catch {
    throw new ConfigError(
      `Model "${name}": ${path.join(folder, MANIFEST_FILE)} does not exist. Run \`${pullCommand(name)}\` (models/README.md lists the models it knows), ` +
        `or set MODEL=auto to use the default model.`,
    );
  }
  const manifest = await readManifest(folder);
  const family = familyFor(manifest, folder);
  const missing = await findMissingFiles(folder, manifest);
  if (missing.length > 0) {
    const lines = missing.map((m) => `  ${m.role}: ${m.path} ${m.problem}`);
    throw new ConfigError(`Model "${manifest.name}" in ${folder} is incomplete:\n${lines.join("\n")}\nRun \`${pullCommand(manifest.name)}\` to download it.`);
  }
  const files: Record<string, string> = {};
  const expected: Record<string, string | undefined> = {};
  for (const [role, file] of Object.entries(manifest.files)) {
    const found = await presentVariant(folder, file);
    if ("problem" in found) throw new ConfigError(`Model "${manifest.name}": ${found.path} ${found.problem}`);
    files[role] = found.path;
    expected[role] = found.sha256;
  }
  await verifyChecksums(folder, manifest, files, expected);

  const tokenizer = await TextTokenizer.fromFile(files[manifest.text.tokenizer]);
  const warning = extra.warning ?? (manifest.generated ? `Model "${manifest.name}" is GENERATED with random weights: its embeddings carry no meaning.` : undefined);
  const info: ModelInfo = {
    name: manifest.name,
    family: manifest.family,
    dimension: manifest.dimension,
    generated: manifest.generated,
    source,
    ...(warning ? { warning } : {}),
    maxTextTokens: manifest.text.maxComposedTokens,
  };
  const runtime: ModelRuntime = {
    options: { intraOpThreads: config.intraOpThreads, interOpThreads: config.interOpThreads, graphOptimization: config.graphOptimization },
    maxBatch: config.maxBatch,
    maxWaitMs: config.maxWaitMs,
    maxBatchTokens: config.maxBatchTokens,
    files,
    worker: new OnnxWorker(),
  };
  const embedder = family.create(info, manifest, tokenizer, runtime);
  try {
    await embedder.warmUp();
  } catch (err) {
    await embedder.close();
    throw err;
  }
  deps.logger.info({ model: info.name, family: info.family, dimension: info.dimension, source, folder }, "embedding model loaded");
  if (info.warning) deps.logger.warn({ model: info.name }, info.warning);
  return embedder;
}

