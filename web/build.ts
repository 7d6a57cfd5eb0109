// Bundles the web demo (/) and the GraphQL playground (GET /graphql in a browser) into dist/web with esbuild,
// so the server serves every script, style and font itself: no CDN, works offline.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const WEB = path.dirname(fileURLToPath(import.meta.url));
export const WEB_OUT_DIR = path.resolve(WEB, "..", "dist", "web");

/** Builds into a fresh folder, then swaps it in, so a running server never serves half a build. */
export async function buildWeb(outDir = WEB_OUT_DIR): Promise<string> {
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await build({
      entryPoints: { app: path.join(WEB, "src/main.ts"), playground: path.join(WEB, "playground/main.ts") },
      outdir: path.join(staging, "assets"),
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["es2022"],
      minify: true,
      sourcemap: "linked",
      // React and graphql read NODE_ENV; browsers have no `process`.
      define: { "process.env.NODE_ENV": '"production"' },
      loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".svg": "file" },
      assetNames: "[name]-[hash]",
      logLevel: "warning",
      tsconfig: path.join(WEB, "tsconfig.json"),
    });
    for (const page of ["index.html", "playground.html"]) await fs.copyFile(path.join(WEB, page), path.join(staging, page));
    await fs.rm(outDir, { recursive: true, force: true });
    await fs.rename(staging, outDir);
    return outDir;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

const SOURCE_STAMP = ".source-hash";

/** Builds unless `outDir` was built from the current sources (web/ and the SDK build it bundles); true when it built. */
export async function buildWebIfChanged(outDir = WEB_OUT_DIR): Promise<boolean> {
  const hash = await webSourceHash();
  if ((await fs.readFile(path.join(outDir, SOURCE_STAMP), "utf8").catch(() => "")) === hash) return false;
  await buildWeb(outDir);
  await fs.writeFile(path.join(outDir, SOURCE_STAMP), hash);
  return true;
}

async function webSourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of [WEB, path.resolve(WEB, "..", "sdk", "dist")]) {
    const files = (await fs.readdir(dir, { recursive: true })).sort();
    for (const file of files) {
      const full = path.join(dir, file);
      if ((await fs.stat(full)).isFile()) hash.update(`${path.basename(dir)}/${file}`).update(await fs.readFile(full));
    }
  }
  return hash.digest("hex");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const where = path.relative(process.cwd(), WEB_OUT_DIR) || WEB_OUT_DIR;
  if (process.argv.includes("--force")) await buildWeb();
  else if (!(await buildWebIfChanged())) {
    console.log(`web: ${where} is up to date`);
    process.exit(0);
  }
  console.log(`web: built ${where} in ${Date.now() - started} ms`);
}
