// Bundles the web demo (/) and the GraphQL playground (GET /graphql in a browser) into dist/web with esbuild,
// so the server serves every script, style and font itself: no CDN, works offline.
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const out = await buildWeb();
  console.log(`web: built ${path.relative(process.cwd(), out) || out} in ${Date.now() - started} ms`);
}
