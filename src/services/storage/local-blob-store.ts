// BlobStore on a local folder (DATA_DIR/images by default): temp file + rename for atomic writes.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { checkKey, type BlobInfo, type BlobStore, type BlobStream } from "./blob-store.js";

export class LocalBlobStore implements BlobStore {
  readonly description = "local folder";

  constructor(private readonly root: string) {}

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.fileOf(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${randomUUID()}.tmp`;
    try {
      await fs.writeFile(temp, bytes);
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
  }

  async read(key: string): Promise<Buffer | undefined> {
    return fs.readFile(this.fileOf(key)).catch(ifMissing(undefined));
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const stat = await fs.stat(this.fileOf(key)).catch(ifMissing(undefined));
    return stat?.isFile() ? { key, size: stat.size, modifiedAt: stat.mtime } : undefined;
  }

  async stream(key: string): Promise<BlobStream | undefined> {
    const file = this.fileOf(key);
    // Open first, then stat the open file: the stream and its size belong to the same file.
    const handle = await fs.open(file, "r").catch(ifMissing(undefined));
    if (!handle) return undefined;
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return undefined;
    }
    return { key, size: stat.size, modifiedAt: stat.mtime, body: handle.createReadStream() };
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.fileOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    yield* this.walk(prefix.replace(/\/+$/, ""));
  }

  private async *walk(dirKey: string): AsyncIterable<BlobInfo> {
    const dir = dirKey === "" ? this.root : this.fileOf(dirKey);
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(ifMissing([]));
    for (const entry of entries) {
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) yield* this.walk(key);
      else if (entry.isFile() && !entry.name.endsWith(".tmp")) {
        const info = await this.stat(key);
        if (info) yield info;
      }
    }
  }

  private fileOf(key: string): string {
    return path.join(this.root, ...checkKey(key).split("/"));
  }
}

function ifMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === "ENOENT" || err.code === "ENOTDIR") return value;
    throw err;
  };
}
