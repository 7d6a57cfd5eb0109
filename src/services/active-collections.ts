// Which Milvus collection each catalogue searches, and the model folder that built it: a small JSON
// record in DATA_DIR, replaced atomically. Milvus Lite 2.5 does not implement aliases (createAlias
// answers an empty status and describeCollection on the alias fails), so a pointer record stands in.
import fs from "node:fs/promises";
import path from "node:path";

export interface ActiveCollection {
  collection: string;
  model: string;
}

export class ActiveCollections {
  private pointers: Record<string, ActiveCollection> = {};
  /** Writes in the order they were asked for. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async load(dataDir: string): Promise<ActiveCollections> {
    const active = new ActiveCollections(path.join(dataDir, "active-collections.json"));
    try {
      active.pointers = JSON.parse(await fs.readFile(active.file, "utf8")) as Record<string, ActiveCollection>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return active;
  }

  get(catalogue: string): ActiveCollection | undefined {
    return this.pointers[catalogue];
  }

  set(catalogue: string, pointer: ActiveCollection | undefined): Promise<void> {
    const next = { ...this.pointers };
    if (pointer) next[catalogue] = pointer;
    else delete next[catalogue];
    this.pointers = next;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const temp = `${this.file}.${process.pid}.tmp`;
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(temp, JSON.stringify(next, null, 2));
      await fs.rename(temp, this.file);
    });
    return this.writing;
  }
}
