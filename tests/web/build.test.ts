// `npm start` builds before it serves: a second build with nothing changed must not redo the work.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { buildWebIfChanged } from "../../web/build.js";
import { buildSdk, SDK_DIR } from "../sdk/support.js";
import { withDirLock } from "../support/dir-lock.js";
import { tempDir } from "../support/server.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

describe("the build npm start runs", () => {
  it("builds the web pages once, then leaves an up-to-date build alone", async () => {
    await buildSdk();
    const out = path.join(await tempDir("mmrag-web-build-"), "web");
    dirs.push(path.dirname(out));
    expect(await buildWebIfChanged(out)).toBe(true);
    const built = await fs.stat(path.join(out, "assets", "app.js"));
    expect(await buildWebIfChanged(out)).toBe(false);
    expect((await fs.stat(path.join(out, "assets", "app.js"))).mtimeMs).toBe(built.mtimeMs);
  }, 60_000);

  it("leaves an up-to-date SDK build alone", async () => {
    await buildSdk();
    await withDirLock("mmrag-sdk-build", SDK_DIR, async () => {
      const build = () => promisify(execFile)(process.execPath, [path.join(SDK_DIR, "scripts/build.mjs")], { cwd: SDK_DIR });
      await build();
      const first = await fs.stat(path.join(SDK_DIR, "dist", "client.js"));
      await build();
      expect((await fs.stat(path.join(SDK_DIR, "dist", "client.js"))).mtimeMs).toBe(first.mtimeMs);
    });
  }, 60_000);
});
