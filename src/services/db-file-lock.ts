// Milvus Lite does not lock its database file, and two processes writing one file corrupt it.
// We keep a lock file beside it holding our pid and the Milvus child's pid, so that a second server
// fails with a clear message and a server restarted after a crash can clean up its orphaned child.
import fs from "node:fs";
import { ConfigError } from "../errors.js";

interface LockContents {
  pid: number;
  childPid?: number;
  dbPath: string;
}

/** Lock files this process holds: a second app in the same process must be refused too. */
const heldHere = new Set<string>();

export class DbFileLock {
  readonly path: string;
  private held = false;

  constructor(private readonly dbPath: string) {
    this.path = `${dbPath}.lock`;
  }

  /** Takes the lock, or throws ConfigError naming the live process that holds it. Returns a stale holder's orphaned child pid, if any. */
  acquire(): number | undefined {
    if (heldHere.has(this.path)) {
      throw new ConfigError(`The Milvus Lite database ${this.dbPath} is already in use by process ${process.pid} (this one). Give each server its own DATA_DIR or MILVUS_URI.`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(this.path, JSON.stringify({ pid: process.pid, dbPath: this.dbPath } satisfies LockContents), { flag: "wx" });
        this.held = true;
        heldHere.add(this.path);
        return this.staleChild;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const holder = readLock(this.path);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new ConfigError(
          `The Milvus Lite database ${this.dbPath} is already in use by process ${holder.pid} (another mmrag server?). ` +
            `Stop that process, or give this server its own DATA_DIR or MILVUS_URI.`,
        );
      }
      // The holder died without cleaning up: remember its Milvus child so the caller can stop it, then retry.
      if (holder?.childPid && isAlive(holder.childPid)) this.staleChild = holder.childPid;
      fs.rmSync(this.path, { force: true });
    }
    throw new ConfigError(`Could not take the lock ${this.path}; remove it if no mmrag server is running`);
  }

  private staleChild: number | undefined;

  /** Records the Milvus child's pid so a successor can find it if we die without stopping it. */
  recordChild(childPid: number | undefined): void {
    if (!this.held) return;
    fs.writeFileSync(this.path, JSON.stringify({ pid: process.pid, childPid, dbPath: this.dbPath } satisfies LockContents));
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    heldHere.delete(this.path);
    const holder = readLock(this.path);
    if (holder?.pid === process.pid) fs.rmSync(this.path, { force: true });
  }
}

function readLock(file: string): LockContents | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockContents;
  } catch {
    return undefined; // empty or half-written: treat as stale
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process stays a zombie until its parent reaps it; it holds nothing any more.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}
