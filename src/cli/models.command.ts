// `mmrag models list | pull <name>`: the model folders under MODELS_DIR, on this machine (no server needed).
import path from "node:path";
import { loadConfig, type Env } from "../config.js";
import { listModels } from "../model-tooling/list.js";
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
