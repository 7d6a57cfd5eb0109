// The worker role: takes ingest chunks from the BullMQ queue and runs them through the catalogue, as the
// single-process service does. A worker killed mid-chunk loses its lock; BullMQ hands the chunk to another
// worker, which skips the items already recorded, and the content hash keeps Milvus and storage free of
// doubles for items that were stored but not yet recorded.
import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../../config.js";
import { AppError, BadUserInputError, UpstreamUnavailableError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { CatalogService } from "../catalog.service.js";
import { BatchWriter } from "../ingest/batch-writer.js";
import { finalStatus, type IngestItemError, type IngestJobState } from "../ingest/ingest-job.js";
import type { BlobStore } from "../storage/blob-store.js";
import { QUEUE_NAME, readItem, type ChunkItem, type IngestChunk } from "./chunk.js";
import { JobRecords, type RecordedItem } from "./job-records.js";
import { connectRedis, PREFIX } from "./redis.js";

/** Progress goes out at most this often per job from one worker. */
const MIN_PUBLISH_INTERVAL_MS = 100;

export class IngestWorker {
  private readonly redis: Redis;
  private readonly queueConnection: Redis;
  private readonly records: JobRecords;
  private readonly worker: Worker<IngestChunk>;
  private readonly lastPublish = new Map<string, number>();

  constructor(
    private readonly config: Config["ingest"],
    redisConfig: NonNullable<Config["redis"]>,
    private readonly deps: {
      /** The catalogue's active collection, or, for a reindex, the one it builds. */
      catalogOf: (catalogue: string, collection?: string) => Promise<CatalogService>;
      staging: BlobStore;
      logger: Logger;
      /** What finishes a reindex: catch up and switch, or drop its collection. */
      reindex?: { complete(catalogue: string, jobId: string, collection: string): Promise<void>; abandon(catalogue: string, jobId: string): Promise<void> };
    },
  ) {
    this.redis = connectRedis(redisConfig.url, "worker", deps.logger);
    this.queueConnection = connectRedis(redisConfig.url, "worker-queue", deps.logger);
    this.records = new JobRecords(this.redis);
    this.worker = new Worker<IngestChunk>(QUEUE_NAME, (job) => this.runChunk(job), {
      connection: this.queueConnection,
      prefix: `${PREFIX}:bull`,
      concurrency: Math.max(1, Math.ceil(config.concurrency / redisConfig.chunkSize)),
      lockDuration: redisConfig.lockMs,
      stalledInterval: redisConfig.lockMs,
      maxStalledCount: redisConfig.attempts,
    });
    this.worker.on("error", (err) => deps.logger.error({ err }, "Ingest worker: queue error"));
    this.worker.on("stalled", (chunkId) => deps.logger.warn({ chunkId }, "Ingest chunk stalled: its worker stopped renewing the lock (died?); it goes back on the queue"));
    this.worker.on("failed", (job, err) => deps.logger.warn({ err, jobId: job?.data.jobId, chunk: job?.data.chunk, attempt: job?.attemptsMade }, "Ingest chunk failed"));
  }

  /** Resolves once the worker listens on the queue. */
  async start(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Finishes the chunks in hand, then stops taking more. */
  async close(): Promise<void> {
    await this.worker.close();
    this.queueConnection.disconnect();
    this.redis.disconnect();
  }

  private async runChunk(job: Job<IngestChunk>): Promise<void> {
    const { jobId, catalogue, collection, chunk, chunks, items, requestId } = job.data;
    const logger = this.deps.logger.child({ jobId, chunk, catalogue, reqId: requestId });
    const done = await this.records.recorded(jobId);
    const todo = items.filter((item) => !done.has(item.index));
    if (todo.length < items.length) logger.info({ skipped: items.length - todo.length }, "Resuming a chunk another worker left unfinished");
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      if (todo.length > 0) await this.runItems(jobId, await this.deps.catalogOf(catalogue ?? "default", collection), todo, logger);
    } catch (err) {
      // Milvus or storage down: retry the chunk later, unless this was its last attempt.
      if (!lastAttempt) throw err;
      const error = { code: err instanceof AppError ? err.code : "INTERNAL_SERVER_ERROR", message: err instanceof AppError ? err.message : "Internal error; see the worker log" };
      const left = items.filter((item) => !done.has(item.index));
      await this.records.record(jobId, left.map((item) => ({ index: item.index, outcome: "failed", error: { item: item.name, ...error } })));
    }
    const last = await this.records.record(jobId, [], { index: chunk, count: chunks });
    // A chunk back after its worker died may have been the one finishing the job (for a reindex: catching up
    // and switching); nobody else will, so this worker finishes it. Doing it twice changes nothing.
    const orphaned = !last && job.attemptsStarted > 1 && (await this.records.finishingStopped(jobId));
    if (last || orphaned) await this.finish(jobId, { catalogue: catalogue ?? "default", collection }, logger);
    else await this.publish(jobId, true);
  }

  private async runItems(jobId: string, catalog: CatalogService, items: ChunkItem[], logger: Logger): Promise<void> {
    const { staging } = this.deps;
    const writer = new BatchWriter((rows) => catalog.commit(rows), { maxRows: this.config.insertBatch, maxWaitMs: 50 });
    const abort = new AbortController();
    let next = 0;
    let upstreamDown: UpstreamUnavailableError | undefined;
    const runOne = async (item: ChunkItem): Promise<RecordedItem> => {
      try {
        const { bytes, metadata, createdAt } = await readItem(item.source, { staging, ingest: this.config, signal: abort.signal }).catch((err: NodeJS.ErrnoException) => {
          throw err instanceof AppError ? err : new BadUserInputError(`Could not read ${item.name} (${err.code ?? err.message})`);
        });
        if (!bytes) return { index: item.index, outcome: "skipped" };
        const prepared = await catalog.prepare(bytes, metadata, { createdAt });
        if (prepared.existing) return { index: item.index, outcome: "skipped" };
        await writer.add(prepared.row);
        return { index: item.index, outcome: "succeeded" };
      } catch (err) {
        if (err instanceof UpstreamUnavailableError) throw err;
        if (!(err instanceof AppError)) logger.error({ err, item: item.name }, "Unexpected error ingesting an item");
        const error: IngestItemError = { item: item.name, code: err instanceof AppError ? err.code : "INTERNAL_SERVER_ERROR", message: err instanceof AppError ? err.message : "Internal error; see the worker log" };
        return { index: item.index, outcome: "failed", error };
      }
    };
    const lane = async () => {
      while (!upstreamDown && next < items.length) {
        // Taken before the await below, so two lanes never take the same item.
        const item = items[next++];
        if (await this.records.cancelRequested(jobId)) return;
        try {
          await this.records.record(jobId, [await runOne(item)]);
          await this.publish(jobId);
        } catch (err) {
          if (err instanceof UpstreamUnavailableError) upstreamDown = err;
          else throw err;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.config.concurrency, items.length) }, lane));
      await writer.flush();
    } finally {
      abort.abort();
    }
    if (upstreamDown) throw upstreamDown;
  }

  /** The worker that completed the last chunk writes the final state, removes the staged uploads and tells every replica. */
  private async finish(jobId: string, target: { catalogue: string; collection?: string }, logger: Logger): Promise<void> {
    const job = (await this.records.get(jobId))!;
    const cancelled = await this.records.cancelRequested(jobId);
    job.status = finalStatus(job, cancelled && job.processed < job.total);
    if (job.status === "CANCELLED") job.message = `Cancelled after ${job.processed} of ${job.total} items; run it again to finish, stored images are skipped.`;
    if (job.kind === "reindex") await this.finishReindex(job, target.catalogue, target.collection!, logger);
    job.finishedAt = new Date().toISOString();
    await this.records.finish(job);
    for await (const { key } of this.deps.staging.list(`staging/${jobId}/`)) await this.deps.staging.delete(key);
    await this.publish(jobId, true);
    logger.info({ status: job.status, processed: job.processed, succeeded: job.succeeded, skipped: job.skipped, failed: job.failed }, "Ingest job finished");
  }

  /** Still RUNNING for watchers until the switch is done: SUCCEEDED means every process searches the new collection. */
  private async finishReindex(job: IngestJobState, catalogue: string, collection: string, logger: Logger): Promise<void> {
    const { reindex } = this.deps;
    if (!reindex) throw new Error("This worker was built without reindex");
    if (job.status === "SUCCEEDED") {
      try {
        await this.records.note(job.id, "Catching up with changes made meanwhile, then switching");
        await this.publish(job.id, true);
        await reindex.complete(catalogue, job.id, collection);
        job.message = null;
        return;
      } catch (err) {
        logger.error({ err }, "Reindex could not switch");
        job.status = "FAILED";
        job.message = err instanceof AppError ? err.message : "The switch stopped on an internal error; see the worker log";
      }
    }
    await reindex.abandon(catalogue, job.id).catch((err) => logger.error({ err }, "Could not drop an unfinished reindex collection"));
    job.message = `${job.message ?? `${job.failed} of ${job.total} images could not be re-embedded.`} The catalogue keeps its previous collection and model; run reindex again to retry.`;
  }

  private async publish(jobId: string, always = false): Promise<void> {
    const now = Date.now();
    if (!always && now - (this.lastPublish.get(jobId) ?? 0) < MIN_PUBLISH_INTERVAL_MS) return;
    this.lastPublish.set(jobId, now);
    const job = await this.records.get(jobId);
    if (job) await this.records.publish(job);
  }
}
