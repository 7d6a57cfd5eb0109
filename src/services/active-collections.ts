// Which Milvus collection each catalogue searches, and the model folder that built it; and which collection a
// reindex is writing. Milvus Lite 2.5 does not implement aliases (createAlias answers an empty status and
// describeCollection on the alias fails), so a pointer record stands in. One process keeps it in a JSON file
// in DATA_DIR, replaced atomically (this file); with REDIS_URL every process shares one record in Redis
// (jobs/redis-active-collections.ts) and hears of each change.
import fs from "node:fs/promises";
import path from "node:path";

export interface ActiveCollection {
  collection: string;
  model: string;
}

/** The collection a reindex is filling for a catalogue, and its job. */
export interface BuildingCollection extends ActiveCollection {
  jobId: string;
}

/** What changed, as other processes hear it: the catalogue's services are opened again from the record. */
export type CatalogueChange = { catalogue: string; kind: "switched" | "created" | "dropped" | "building" | "abandoned" } | { catalogue?: undefined; kind: "all" };

export interface ActiveCollections {
  get(catalogue: string): Promise<ActiveCollection | undefined>;
  /** Sets (or, with undefined, removes) a catalogue's pointer, tells the other processes, and ends its building record. */
  set(catalogue: string, pointer: ActiveCollection | undefined, kind: "switched" | "dropped"): Promise<void>;
  building(catalogue: string): Promise<BuildingCollection | undefined>;
  /** Records the reindex unless one is recorded already; answers the one recorded before, or undefined when this one was. */
  claimBuilding(catalogue: string, building: BuildingCollection): Promise<BuildingCollection | undefined>;
  /** Ends the building record (a reindex that did not finish), if it is still this job's. */
  endBuilding(catalogue: string, jobId: string): Promise<void>;
  /** Tells the other processes (create, and whatever the record alone does not show). */
  announce(change: CatalogueChange): Promise<void>;
  /** Called with each change another process announced; `all` after a lost connection (anything may have changed). */
  onChange(listener: (change: CatalogueChange) => void): void;
  close(): Promise<void>;
}

/** One process: the pointers in DATA_DIR/active-collections.json, a reindex in progress in memory. */
export class FileActiveCollections implements ActiveCollections {
  private pointers: Record<string, ActiveCollection> = {};
  private readonly builds = new Map<string, BuildingCollection>();
  /** Writes in the order they were asked for. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static fileIn(dataDir: string): string {
    return path.join(dataDir, "active-collections.json");
  }

  /** The pointers a file holds; none when there is no file. */
  static async read(file: string): Promise<Record<string, ActiveCollection>> {
    try {
      return JSON.parse(await fs.readFile(file, "utf8")) as Record<string, ActiveCollection>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      return {};
    }
  }

  static async load(dataDir: string): Promise<FileActiveCollections> {
    const active = new FileActiveCollections(FileActiveCollections.fileIn(dataDir));
    active.pointers = await FileActiveCollections.read(active.file);
    return active;
  }

  async get(catalogue: string): Promise<ActiveCollection | undefined> {
    return this.pointers[catalogue];
  }

  set(catalogue: string, pointer: ActiveCollection | undefined): Promise<void> {
    const next = { ...this.pointers };
    if (pointer) next[catalogue] = pointer;
    else delete next[catalogue];
    this.pointers = next;
    this.builds.delete(catalogue);
    this.writing = this.writing.catch(() => undefined).then(async () => {
      const temp = `${this.file}.${process.pid}.tmp`;
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(temp, JSON.stringify(next, null, 2));
      await fs.rename(temp, this.file);
    });
    return this.writing;
  }

  async building(catalogue: string): Promise<BuildingCollection | undefined> {
    return this.builds.get(catalogue);
  }

  async claimBuilding(catalogue: string, building: BuildingCollection): Promise<BuildingCollection | undefined> {
    const before = this.builds.get(catalogue);
    if (!before) this.builds.set(catalogue, building);
    return before;
  }

  async endBuilding(catalogue: string, jobId: string): Promise<void> {
    if (this.builds.get(catalogue)?.jobId === jobId) this.builds.delete(catalogue);
  }

  async announce(): Promise<void> {}

  onChange(): void {}

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
  }
}
