// The SDK as users get it: sdk/ built into sdk/dist (once, however many test files ask at the same time),
// imported from there. Types come from sdk/src, so type-checking needs no build.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { withDirLock } from "../support/dir-lock.js";

export type Sdk = typeof import("../../sdk/src/index.js");

export const SDK_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../sdk");
const DIST = path.join(SDK_DIR, "dist");
const TAG = createHash("sha256").update(SDK_DIR).digest("hex").slice(0, 12);
// Outside dist/, so that npm pack does not ship it.
const STAMP = path.join(os.tmpdir(), `mmrag-sdk-build-${TAG}.hash`);

/** Builds sdk/dist unless it was built from the current sources, then imports it. */
export async function loadBuiltSdk(): Promise<Sdk> {
  await buildSdk();
  return (await import(pathToFileURL(path.join(DIST, "index.js")).href)) as Sdk;
}

export async function buildSdk(): Promise<void> {
  if (await isBuilt()) return;
  await withDirLock("mmrag-sdk-build", SDK_DIR, buildUnlocked);
}

/** `npm pack` in sdk/, as a user would run it; returns the tarball's path. */
export async function packSdk(destination: string): Promise<string> {
  return withDirLock("mmrag-sdk-build", SDK_DIR, async () => {
    await buildUnlocked();
    // prepack would rebuild dist/ while other test files may be importing it; it runs the same build as above.
    const { stdout } = await promisify(execFile)("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", destination], { cwd: SDK_DIR });
    return path.join(destination, JSON.parse(stdout)[0].filename);
  });
}

async function isBuilt(hash?: string): Promise<boolean> {
  const built = await fs.readFile(STAMP, "utf8").catch(() => "");
  return built === (hash ?? (await sourceHash())) && (await fs.stat(path.join(DIST, "index.js")).then(() => true, () => false));
}

async function buildUnlocked(): Promise<void> {
  const hash = await sourceHash();
  if (await isBuilt(hash)) return;
  await promisify(execFile)(process.execPath, [path.join(SDK_DIR, "scripts/build.mjs")], { cwd: SDK_DIR });
  await fs.writeFile(STAMP, hash);
}

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  const files = ["package.json", "tsconfig.json", "scripts/build.mjs", ...(await fs.readdir(path.join(SDK_DIR, "src"), { recursive: true })).map((f) => path.join("src", f))];
  for (const file of files.sort()) {
    const stat = await fs.stat(path.join(SDK_DIR, file));
    if (stat.isFile()) hash.update(file).update(await fs.readFile(path.join(SDK_DIR, file)));
  }
  return hash.digest("hex");
}

/** Counts the server's open WebSocket connections, from the upgrade request to the socket's close. */
export function countWebSockets(httpServer: import("node:http").Server): { readonly open: number; closed(): Promise<void> } {
  let open = 0;
  const waiters: Array<() => void> = [];
  httpServer.on("upgrade", (_req, socket) => {
    open++;
    socket.once("close", () => {
      open--;
      if (open === 0) waiters.splice(0).forEach((resolve) => resolve());
    });
  });
  return {
    get open() {
      return open;
    },
    closed: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
