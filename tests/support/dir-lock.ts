// A lock shared by every test worker and process on the machine: mkdir is atomic, so one builds while the
// others wait. The lock's name includes a hash of `scope` (a checkout's path), so two checkouts never share one.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export async function withDirLock<T>(name: string, scope: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(os.tmpdir(), `${name}-${createHash("sha256").update(scope).digest("hex").slice(0, 12)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch {
      // A lock older than a build could take was left by a killed process.
      const age = Date.now() - (await fs.stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 60_000) await fs.rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}
