// Job records on disk (one JSON file each, written atomically), so `ingestJob(id)` answers after a restart.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../logger.js";
import { TERMINAL, type IngestJobState } from "./ingest-job.js";

const JOB_ID = /^[0-9a-f-]{36}$/;
/** Records kept on disk; older finished jobs are pruned at start-up. */
const KEEP = 500;

export class JobStore {
  private readonly jobs = new Map<string, IngestJobState>();
  /** The last write per job: writes of one job go one after another, so an older state never lands last. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Loads earlier records; jobs a previous process left unfinished are marked FAILED, with how to resume. */
  async load(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const files = (await fs.readdir(this.dir)).filter((f) => f.endsWith(".json"));
    for (const file of files) {
      try {
        const job = JSON.parse(await fs.readFile(path.join(this.dir, file), "utf8")) as IngestJobState;
        if (!TERMINAL.has(job.status)) {
          job.status = "FAILED";
          job.finishedAt = new Date().toISOString();
          job.etaSeconds = 0;
          job.message =
            job.kind === "reindex"
              ? "Interrupted by a server restart before the switch: the catalogue kept its previous collection. Its unfinished new one is listed in Catalogue.inactiveCollections (dropInactiveCollection drops it); run reindex again."
              : "Interrupted by a server restart. Run the same ingest again: images already stored are skipped, so nothing is doubled.";
          await this.save(job);
        }
        this.jobs.set(job.id, job);
      } catch (err) {
        this.logger.warn({ err, file }, "Skipping an unreadable ingest job record");
      }
    }
    const old = this.list().slice(KEEP);
    for (const job of old) {
      this.jobs.delete(job.id);
      await fs.rm(this.fileOf(job.id), { force: true });
    }
  }

  get(id: string): IngestJobState | undefined {
    return JOB_ID.test(id) ? this.jobs.get(id) : undefined;
  }

  /** Newest first. */
  list(): IngestJobState[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  add(job: IngestJobState): void {
    this.jobs.set(job.id, job);
  }

  save(job: IngestJobState): Promise<void> {
    const text = JSON.stringify(job);
    const write = (this.writes.get(job.id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const file = this.fileOf(job.id);
        const temp = `${file}.${randomUUID()}.tmp`;
        await fs.writeFile(temp, text);
        await fs.rename(temp, file);
      });
    this.writes.set(job.id, write);
    return write;
  }

  private fileOf(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
