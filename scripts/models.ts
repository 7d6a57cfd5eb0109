// `npm run models -- list | pull <name> | verify <name> | generate <kind>`: manage model folders under MODELS_DIR.
import path from "node:path";
import { loadConfig } from "../src/config.js";
import { ensureGeneratedModelIn, GENERATED_KINDS, type GeneratedKind } from "../src/model-tooling/generate/index.js";
import { sha256File } from "../src/model-tooling/hash-file.js";
import { findMissingFiles, presentVariant, readManifest } from "../src/model-tooling/manifest.js";
import { listModels } from "../src/model-tooling/list.js";
import { pullModel, type PullProgress } from "../src/model-tooling/pull.js";

const config = loadConfig();
const { modelsDir, hfEndpoint } = config.model;
const [command, name] = process.argv.slice(2);

function progressBar(): (p: PullProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.done !== p.total) return;
    last = now;
    const file = path.basename(p.file);
    if (!process.stderr.isTTY) return;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (p.total) {
      const width = 30;
      const filled = Math.round((p.done / p.total) * width);
      process.stderr.write(`\r${file} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${mb(p.done)}/${mb(p.total)} MB `);
    } else process.stderr.write(`\r${file} ${mb(p.done)} MB `);
    if (p.done === p.total) process.stderr.write("\n");
  };
}

async function main(): Promise<number> {
  switch (command) {
    case "list": {
      for (const m of await listModels(modelsDir)) {
        console.log(`${m.name.padEnd(32)} ${m.family.padEnd(15)} ${String(m.dimension).padStart(5)}-d  ${m.status}${m.generated ? "  (GENERATED, random weights)" : ""}`);
      }
      return 0;
    }
    case "pull": {
      if (!name) throw new Error("usage: npm run models -- pull <name>");
      const folder = await pullModel(name, { modelsDir, endpoint: hfEndpoint, onProgress: progressBar() });
      console.log(`${name} is ready in ${folder}. Start the server with MODEL=${name} (or MODEL=auto).`);
      return 0;
    }
    case "verify": {
      if (!name) throw new Error("usage: npm run models -- verify <name>");
      const folder = path.join(modelsDir, name);
      const manifest = await readManifest(folder);
      let bad = 0;
      for (const m of await findMissingFiles(folder, manifest)) {
        console.log(`MISSING ${m.role}: ${m.path} ${m.problem}`);
        bad++;
      }
      for (const [role, file] of Object.entries(manifest.files)) {
        const found = await presentVariant(folder, file);
        if ("problem" in found || !found.sha256) continue;
        const ok = (await sha256File(found.path)) === found.sha256;
        console.log(`${ok ? "ok     " : "BAD SHA"} ${role}: ${found.path}`);
        if (!ok) bad++;
      }
      return bad === 0 ? 0 : 1;
    }
    case "generate": {
      if (!GENERATED_KINDS.includes(name as GeneratedKind)) throw new Error(`usage: npm run models -- generate <${GENERATED_KINDS.join("|")}>`);
      const folder = await ensureGeneratedModelIn(path.join(modelsDir, ".generated"), name as GeneratedKind);
      console.log(`Generated (random weights, NOT a real model): ${folder}\nUse it with MODELS_DIR=${path.dirname(folder)} MODEL=${path.basename(folder)}`);
      return 0;
    }
    default:
      console.error("usage: npm run models -- <list | pull <name> | verify <name> | generate <kind>>");
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
