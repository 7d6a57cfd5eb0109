// The browser code under web/ has its own tsconfig (DOM, bundler resolution), outside the root `tsc --noEmit`.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, expect, it } from "vitest";
import { buildSdk } from "../sdk/support.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

beforeAll(() => buildSdk(), 120_000);

it("web/ type-checks", async () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const { stdout } = await promisify(execFile)(process.execPath, [tsc, "-p", path.join(REPO, "web/tsconfig.json")], { cwd: REPO }).catch((err) => err);
  expect(stdout).toBe("");
});
