// `npm ci` on the Node versions we support (package.json engines) installs no package that wants a newer
// Node: each one would print an EBADENGINE block, and a package that needs Node 22 may use what 20 lacks.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("the locked dependencies", () => {
  it("all run on the oldest Node that package.json supports", async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(REPO, "package.json"), "utf8"));
    const lock = JSON.parse(await fs.readFile(path.join(REPO, "package-lock.json"), "utf8"));
    const oldest = semver.minVersion(pkg.engines.node)!;
    const wantNewer = Object.entries(lock.packages as Record<string, { version?: string; engines?: { node?: string } }>)
      .filter(([name, entry]) => name && typeof entry.engines?.node === "string" && !semver.satisfies(oldest, entry.engines.node))
      .map(([name, entry]) => `${name.replace(/^.*node_modules\//, "")}@${entry.version} wants node ${entry.engines!.node}`);
    expect(wantNewer).toEqual([]);
  });

  it("keep onnxruntime-node from downloading GPU binaries at install", async () => {
    expect(await fs.readFile(path.join(REPO, ".npmrc"), "utf8")).toMatch(/^onnxruntime-node-install=skip$/m);
  });
});
