// `mmrag models list | pull <name> | verify <name> | generate <kind>`: the model folders under MODELS_DIR, on this
// machine (no server needed).
import path from "node:path";
import { loadConfig, type Env } from "../config.js";
import { ensureGeneratedModelIn, GENERATED_KINDS, type GeneratedKind } from "../model-tooling/generate/index.js";
import { sha256File } from "../model-tooling/hash-file.js";
import { listModels } from "../model-tooling/list.js";
import { findMissingFiles, presentVariant, readManifest } from "../model-tooling/manifest.js";
import { pullModel, type PullProgress } from "../model-tooling/pull.js";

export async function modelsListCommand(options: { json?: boolean }, env: Env): Promise<number> {
  const { modelsDir } = loadConfig(env).model;
  const models = await listModels(modelsDir);
  if (options.json) {
    console.log(JSON.stringify(models, null, 2));
    return 0;
  }
  if (models.length === 0) {
    console.log(`No models under ${modelsDir}. Pull one with \`mmrag models pull clip-vit-base-patch32\` (see models/README.md).`);
    return 0;
  }
  for (const m of models) {
    console.log(`${m.name.padEnd(32)} ${m.family.padEnd(15)} ${String(m.dimension).padStart(5)}-d  ${m.status}${m.generated ? "  (GENERATED, random weights)" : ""}`);
  }
  return 0;
}

export async function modelsPullCommand(name: string, options: { json?: boolean }, env: Env): Promise<number> {
  const { modelsDir, hfEndpoint } = loadConfig(env).model;
  const folder = await pullModel(name, { modelsDir, endpoint: hfEndpoint, onProgress: options.json ? undefined : progressLine() });
  if (options.json) console.log(JSON.stringify({ name, folder }));
  else console.log(`${name} is ready in ${folder}. Start the server with MODEL=${name} (or MODEL=auto).`);
  return 0;
}

/** Re-hashes every file of a model folder against its model.json; 1 when any is missing or differs. */
export async function modelsVerifyCommand(name: string, options: { json?: boolean }, env: Env): Promise<number> {
  const folder = path.join(loadConfig(env).model.modelsDir, name);
  const manifest = await readManifest(folder);
  const results: { role: string; path: string; status: "ok" | "missing" | "bad sha256" | "no sha256" }[] = [];
  for (const m of await findMissingFiles(folder, manifest)) results.push({ role: m.role, path: m.path, status: "missing" });
  for (const [role, file] of Object.entries(manifest.files)) {
    const found = await presentVariant(folder, file);
    if ("problem" in found) continue;
    const status = !found.sha256 ? "no sha256" : (await sha256File(found.path)) === found.sha256 ? "ok" : "bad sha256";
    results.push({ role, path: found.path, status });
  }
  if (options.json) console.log(JSON.stringify(results, null, 2));
  else for (const r of results) console.log(`${r.status.padEnd(10)} ${r.role}: ${r.path}`);
  return results.some((r) => r.status === "missing" || r.status === "bad sha256") ? 1 : 0;
}

/** Writes a generated random-weight model (tests, benchmarks, offline demo) into MODELS_DIR/.generated. */
export async function modelsGenerateCommand(kind: string, options: { json?: boolean }, env: Env): Promise<number> {
  if (!GENERATED_KINDS.includes(kind as GeneratedKind)) {
    console.error(`Unknown kind ${JSON.stringify(kind)}: one of ${GENERATED_KINDS.join(", ")}`);
    return 2;
  }
  const folder = await ensureGeneratedModelIn(path.join(loadConfig(env).model.modelsDir, ".generated"), kind as GeneratedKind);
  if (options.json) console.log(JSON.stringify({ kind, folder }));
  else console.log(`Generated (random weights, NOT a real model): ${folder}\nUse it with MODELS_DIR=${path.dirname(folder)} MODEL=${path.basename(folder)}`);
  return 0;
}

/** A download line redrawn in place on a terminal; nothing when stderr is not one. */
function progressLine(): (p: PullProgress) => void {
  let last = 0;
  return (p) => {
    if (!process.stderr.isTTY || (Date.now() - last < 200 && p.done !== p.total)) return;
    last = Date.now();
    const mb = (n: number) => (n / 1e6).toFixed(1);
    process.stderr.write(`\r${path.basename(p.file)} ${mb(p.done)}${p.total ? `/${mb(p.total)}` : ""} MB `);
    if (p.done === p.total) process.stderr.write("\n");
  };
}
