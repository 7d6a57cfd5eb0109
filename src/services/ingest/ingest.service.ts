// Runs ingest jobs in the background: many images in flight at once (the embedder batches them),
// Milvus writes in batches, progress published as it moves, and a bad file fails alone.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { createPubSub } from "@graphql-yoga/subscription";
import type { Config } from "../../config.js";
import { AppError, BadUserInputError, NotFoundError, UpstreamUnavailableError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { CatalogService } from "../catalog.service.js";
import { BatchWriter } from "./batch-writer.js";
import { listImageFiles, readInside, readSidecar, resolveIngestFolder } from "./folder-source.js";
import { checkUrl, fetchImage } from "./url-source.js";
import { MAX_ERRORS_KEPT, TERMINAL, finalStatus, newJob, updateRates, type IngestJobState } from "./ingest-job.js";
import { JobStore } from "./job-store.js";

/** Progress goes out at most this often while items complete... */
const MIN_PUBLISH_INTERVAL_MS = 100;
/** ...and at least this often while a job runs, even when no item finished. */
const HEARTBEAT_MS = 500;

/** One unit of work: a name for reports and a way to get its bytes and metadata. */
export interface IngestItem {
  name: string;
  /** The job's signal lets a cancel cut a slow download short; undefined: the item is gone, skip it. */
  read(signal: AbortSignal): Promise<Buffer | undefined>;
  metadata(): Promise<Record<string, unknown>>;
  /** Kept from an earlier record (reindex); otherwise now. */
  createdAt?: Date;
}

/** What a reindex job does beyond an ingest: switch when all is in, or give the new collection up. */
export interface ReindexHooks {
  /** Runs once every item is in, before the job reports SUCCEEDED; a throw fails the job. */
  complete(job: IngestJobState): Promise<void>;
  /** Runs when the job ended any other way. */
  abandon(): Promise<void>;
}

/** The catalogue a job writes to; the default catalogue when none is given. */
export interface IngestTarget {
  name: string;
  catalog: CatalogService;
}

export interface UploadedFile {
  name: string;
  /** Where the upload was spooled as it arrived. */
  path: string;
  metadata?: Record<string, unknown>;
}

export class IngestService {
  private readonly store: JobStore;
  private readonly pubsub = createPubSub<{ progress: [jobId: string, job: IngestJobState] }>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(
    private readonly config: Config["ingest"],
    private readonly deps: { catalog: CatalogService; logger: Logger },
  ) {
    this.store = new JobStore(config.jobsDir, deps.logger);
  }

  async init(): Promise<void> {
    await this.store.load();
    // Spooled uploads of jobs that never finished are of no further use.
    await fs.rm(this.config.spoolDir, { recursive: true, force: true });
  }

  get(id: string): IngestJobState | undefined {
    return this.store.get(id);
  }

  list(limit = 50): IngestJobState[] {
    return this.store.list().slice(0, limit);
  }

  /** A fresh folder for one request's uploads, which the resolver writes as they arrive and startUploads takes over. */
  newSpoolDir(): string {
    return path.join(this.config.spoolDir, randomUUID());
  }

  /** Starts a job on uploads already spooled to `spool` (the request ends when this returns); the job removes the folder when it ends. */
  async startUploads(files: UploadedFile[], spool: string, target?: IngestTarget): Promise<IngestJobState> {
    const removeSpool = () => fs.rm(spool, { recursive: true, force: true });
    if (files.length === 0 || files.length > this.config.maxFiles) {
      await removeSpool();
      if (files.length === 0) throw new BadUserInputError("files is empty: send at least one image", { field: "files" });
      throw new BadUserInputError(`${files.length} files in one request; the limit is ${this.config.maxFiles} (INGEST_MAX_FILES)`, { field: "files" });
    }
    const job = newJob(randomUUID(), "upload", `${files.length} uploaded file${files.length === 1 ? "" : "s"}`, target?.name);
    const items: IngestItem[] = files.map((file, i) => ({
      name: file.name || `file ${i + 1}`,
      read: () => fs.readFile(file.path),
      metadata: async () => file.metadata ?? {},
    }));
    return this.start(job, items, target, removeSpool);
  }

  async startFolder(requested: string, options: { recursive: boolean; pattern?: string }, target?: IngestTarget): Promise<IngestJobState> {
    const folder = await resolveIngestFolder(requested, this.config.roots);
    const files = await listImageFiles(folder, options);
    const job = newJob(randomUUID(), "folder", folder, target?.name);
    const items = files.map((relative) => ({
      name: relative,
      read: () => readInside(folder, relative),
      metadata: () => readSidecar(folder, relative),
    }));
    return this.start(job, items, target);
  }

  /** Checks every URL against INGEST_URL_ALLOWLIST first (nothing starts if one is refused), then fetches in the job. */
  async startUrls(urls: string[], metadata?: Array<Record<string, unknown> | null>, target?: IngestTarget): Promise<IngestJobState> {
    if (urls.length === 0) throw new BadUserInputError("urls is empty: send at least one URL", { field: "urls" });
    if (urls.length > this.config.maxFiles) {
      throw new BadUserInputError(`${urls.length} URLs in one request; the limit is ${this.config.maxFiles} (INGEST_MAX_FILES)`, { field: "urls" });
    }
    const policy = { allowlist: this.config.urlAllowlist, timeoutMs: this.config.urlTimeoutMs, maxBytes: this.config.urlMaxBytes };
    const checked = urls.map((raw, i) => checkUrl(raw, policy, `urls.${i}`));
    const job = newJob(randomUUID(), "urls", `${urls.length} URL${urls.length === 1 ? "" : "s"}`, target?.name);
    const items: IngestItem[] = checked.map((url, i) => ({
      name: url.href,
      read: (signal) => fetchImage(url, policy, signal),
      metadata: async () => ({ sourceUrl: url.href, ...(metadata?.[i] ?? {}) }),
    }));
    return this.start(job, items, target);
  }

  /** Re-embeds a catalogue's stored originals into the target (a new collection for another model). */
  async startReindex(items: IngestItem[], target: IngestTarget, source: string, hooks: ReindexHooks, id = randomUUID()): Promise<IngestJobState> {
    const job = newJob(id, "reindex", source, target.name);
    return this.start(job, items, target, undefined, hooks);
  }

  /** Waits until no job but `except` is writing to the catalogue: a reindex switches only then, so no job's images land in the old collection. */
  async settle(catalogue: string, except: string): Promise<void> {
    for (;;) {
      const others = [...this.running].filter(([id]) => id !== except && (this.store.get(id)?.catalogue ?? "default") === catalogue).map(([, run]) => run.done);
      if (others.length === 0) return;
      await Promise.all(others);
    }
  }

  async cancel(id: string): Promise<IngestJobState> {
    const job = this.store.get(id);
    if (!job) throw new NotFoundError("Ingest job", id);
    const run = this.running.get(id);
    if (run) {
      run.abort.abort();
      await run.done;
    }
    return job;
  }

  /** The job's current state at once, then its updates, ending after the terminal one. */
  async *watch(id: string): AsyncGenerator<IngestJobState> {
    const job = this.store.get(id);
    if (!job) throw new NotFoundError("Ingest job", id);
    // Subscribe before reading the snapshot, so no update falls between the two.
    const updates = this.pubsub.subscribe("progress", id);
    try {
      yield snapshot(job);
      if (TERMINAL.has(job.status)) return;
      for await (const update of updates) {
        yield update;
        if (TERMINAL.has(update.status)) return;
      }
    } finally {
      await updates.return?.();
    }
  }

  /** Waits for a job to end; for the CLI and tests. */
  async wait(id: string): Promise<IngestJobState> {
    await this.running.get(id)?.done;
    return snapshot(this.store.get(id)!);
  }

  /** Cancels running jobs and waits for them to record their state. */
  async close(): Promise<void> {
    const runs = [...this.running.values()];
    for (const run of runs) run.abort.abort();
    await Promise.all(runs.map((r) => r.done));
  }

  private async start(
    job: IngestJobState,
    items: IngestItem[],
    target?: IngestTarget,
    cleanup?: () => Promise<void>,
    reindex?: ReindexHooks,
  ): Promise<IngestJobState> {
    job.total = items.length;
    this.store.add(job);
    await this.store.save(job);
    const abort = new AbortController();
    const done = this.run(job, items, abort.signal, target?.catalog ?? this.deps.catalog)
      .then(async () => {
        if (!reindex || job.status !== "SUCCEEDED") return;
        // Still RUNNING for watchers until the switch is done: SUCCEEDED means searches use the new collection.
        job.status = "RUNNING";
        job.message = "Waiting for other ingest jobs into this catalogue, catching up with changes made meanwhile, then switching";
        this.publish(job);
        await reindex.complete(job);
        job.status = "SUCCEEDED";
        job.message = null;
      })
      .catch((err) => {
        this.deps.logger.error({ err, jobId: job.id }, "Ingest job failed");
        job.status = "FAILED";
        job.message = err instanceof AppError ? err.message : "The job stopped on an internal error; see the server log";
      })
      .finally(async () => {
        if (reindex && job.status !== "SUCCEEDED") {
          await reindex.abandon().catch((err) => this.deps.logger.error({ err, jobId: job.id }, "Could not drop an unfinished reindex collection"));
          job.message = `${job.message ?? `${job.failed} of ${job.total} images could not be re-embedded.`} The catalogue keeps its previous collection and model; run reindex again to retry.`;
        }
        job.finishedAt = new Date().toISOString();
        updateRates(job);
        this.running.delete(job.id);
        await this.store.save(job).catch((err) => this.deps.logger.error({ err }, "Could not save an ingest job record"));
        this.publish(job);
        await cleanup?.().catch(() => undefined);
      });
    this.running.set(job.id, { abort, done });
    return snapshot(job);
  }

  private async run(job: IngestJobState, items: IngestItem[], signal: AbortSignal, catalog: CatalogService): Promise<void> {
    const { logger } = this.deps;
    job.status = "RUNNING";
    job.startedAt = new Date().toISOString();
    this.publish(job);
    const writer = new BatchWriter((rows) => catalog.commit(rows), { maxRows: this.config.insertBatch, maxWaitMs: 50 });
    let lastPublish = 0;
    const progressed = () => {
      updateRates(job);
      if (Date.now() - lastPublish >= MIN_PUBLISH_INTERVAL_MS) {
        lastPublish = Date.now();
        this.publish(job);
      }
    };
    const heartbeat = setInterval(() => {
      updateRates(job);
      lastPublish = Date.now();
      this.publish(job);
      void this.store.save(job).catch(() => undefined);
    }, HEARTBEAT_MS);

    let next = 0;
    let upstreamDown: AppError | undefined;
    const worker = async () => {
      while (!signal.aborted && !upstreamDown && next < items.length) {
        const item = items[next++];
        try {
          const bytes = await item.read(signal).catch((err: NodeJS.ErrnoException) => {
            throw err instanceof AppError ? err : new BadUserInputError(`Could not read ${item.name} (${err.code ?? err.message})`);
          });
          const prepared = bytes === undefined ? undefined : await catalog.prepare(bytes, await item.metadata(), { createdAt: item.createdAt });
          if (!prepared || prepared.existing) job.skipped++;
          else {
            await writer.add(prepared.row);
            job.succeeded++;
          }
        } catch (err) {
          // Milvus down is not this item's fault: stop the job rather than fail every item after it.
          if (err instanceof UpstreamUnavailableError) upstreamDown = err;
          recordFailure(job, item.name, err);
          if (!(err instanceof AppError)) logger.error({ err, item: item.name, jobId: job.id }, "Unexpected error ingesting an item");
        }
        job.processed++;
        progressed();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.config.concurrency, items.length) }, worker));
      await writer.flush();
    } finally {
      clearInterval(heartbeat);
    }
    job.status = upstreamDown ? "FAILED" : finalStatus(job, signal.aborted);
    if (upstreamDown) job.message = `Stopped: ${upstreamDown.message}. Run the same ingest again to finish it; stored images are skipped.`;
    if (signal.aborted) job.message = `Cancelled after ${job.processed} of ${job.total} items; run it again to finish, stored images are skipped.`;
  }

  private publish(job: IngestJobState): void {
    this.pubsub.publish("progress", job.id, snapshot(job));
  }
}

function recordFailure(job: IngestJobState, item: string, err: unknown): void {
  job.failed++;
  if (job.errors.length >= MAX_ERRORS_KEPT) return;
  const code = err instanceof AppError ? err.code : "INTERNAL_SERVER_ERROR";
  const message = err instanceof AppError ? err.message : "Internal error; see the server log";
  job.errors.push({ item, code, message });
}

/** A copy, so a published or returned state never changes under its reader. */
function snapshot(job: IngestJobState): IngestJobState {
  return { ...job, errors: [...job.errors] };
}
