// Ingest for API replicas when REDIS_URL is set: a job is split into chunks on a BullMQ queue that any
// worker process takes; the job record and its progress live in Redis, so every replica can answer
// ingestJob, follow ingestProgress and cancel, whichever replica started the job.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createPubSub } from "@graphql-yoga/subscription";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../../config.js";
import { BadUserInputError, NotFoundError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { listImageFiles, resolveIngestFolder } from "../ingest/folder-source.js";
import { TERMINAL, newJob, type IngestJobState } from "../ingest/ingest-job.js";
import type { IngestTarget, UploadedFile } from "../ingest/ingest.service.js";
import { checkUrl } from "../ingest/url-source.js";
import type { ImageRecord } from "../image-record.js";
import type { BlobStore } from "../storage/blob-store.js";
import { QUEUE_NAME, stagedKey, type ChunkItem, type IngestChunk } from "./chunk.js";
import type { IngestJobs } from "./ingest-jobs.js";
import { JobRecords, PROGRESS_CHANNEL } from "./job-records.js";
import { connectRedis, PREFIX } from "./redis.js";

/** How long cancelIngestJob waits for the workers to stop the job before it answers anyway. */
const CANCEL_WAIT_MS = 15_000;

export class DistributedIngest implements IngestJobs {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly queueConnection: Redis;
  private readonly queue: Queue<IngestChunk>;
  readonly records: JobRecords;
  private readonly pubsub = createPubSub<{ progress: [jobId: string, job: IngestJobState] }>();

  constructor(
    private readonly config: Config["ingest"],
    private readonly redisConfig: NonNullable<Config["redis"]>,
    private readonly deps: { staging: BlobStore; logger: Logger },
  ) {
    this.redis = connectRedis(redisConfig.url, "api", deps.logger);
    this.subscriber = connectRedis(redisConfig.url, "progress", deps.logger);
    this.queueConnection = connectRedis(redisConfig.url, "queue", deps.logger);
    // BullMQ leaves a connection it was given open on close: we close it ourselves.
    this.queue = new Queue<IngestChunk>(QUEUE_NAME, { connection: this.queueConnection, prefix: `${PREFIX}:bull` });
    this.records = new JobRecords(this.redis);
  }

  async init(): Promise<void> {
    this.subscriber.on("message", (_channel, message) => {
      const job = JSON.parse(message) as IngestJobState;
      this.pubsub.publish("progress", job.id, job);
    });
    await this.subscriber.subscribe(PROGRESS_CHANNEL);
  }

  get(id: string): Promise<IngestJobState | undefined> {
    return this.records.get(id);
  }

  list(limit = 50): Promise<IngestJobState[]> {
    return this.records.list(limit);
  }

  newSpoolDir(): string {
    return path.join(this.config.spoolDir, randomUUID());
  }

  /** Moves every spooled upload into the shared storage before the job exists, so a worker always finds them. */
  async startUploads(files: UploadedFile[], spool: string, target?: IngestTarget, requestId?: string): Promise<IngestJobState> {
    try {
      if (files.length === 0) throw new BadUserInputError("files is empty: send at least one image", { field: "files" });
      this.checkCount(files.length, "files");
      const job = newJob(randomUUID(), "upload", `${files.length} uploaded file${files.length === 1 ? "" : "s"}`, target?.name);
      const items: ChunkItem[] = [];
      for (const [index, file] of files.entries()) {
        const key = stagedKey(job.id, index);
        await this.deps.staging.put(key, await fs.readFile(file.path));
        items.push({ index, name: file.name || `file ${index + 1}`, source: { kind: "staged", key, metadata: file.metadata } });
      }
      return await this.enqueue(job, items, requestId);
    } finally {
      await fs.rm(spool, { recursive: true, force: true });
    }
  }

  async startFolder(requested: string, options: { recursive: boolean; pattern?: string }, target?: IngestTarget, requestId?: string): Promise<IngestJobState> {
    const folder = await resolveIngestFolder(requested, this.config.roots);
    const files = await listImageFiles(folder, options);
    const job = newJob(randomUUID(), "folder", folder, target?.name);
    return this.enqueue(job, files.map((relative, index) => ({ index, name: relative, source: { kind: "folder", folder, relative } })), requestId);
  }

  async startUrls(urls: string[], metadata?: Array<Record<string, unknown> | null>, target?: IngestTarget, requestId?: string): Promise<IngestJobState> {
    if (urls.length === 0) throw new BadUserInputError("urls is empty: send at least one URL", { field: "urls" });
    this.checkCount(urls.length, "urls");
    const policy = { allowlist: this.config.urlAllowlist, timeoutMs: this.config.urlTimeoutMs, maxBytes: this.config.urlMaxBytes };
    const checked = urls.map((raw, i) => checkUrl(raw, policy, `urls.${i}`));
    const job = newJob(randomUUID(), "urls", `${urls.length} URL${urls.length === 1 ? "" : "s"}`, target?.name);
    return this.enqueue(job, checked.map((url, index) => ({ index, name: url.href, source: { kind: "url", url: url.href, metadata: metadata?.[index] ?? undefined } })), requestId);
  }

  /**
   * A reindex's stored originals as chunks for the workers, which embed them into `collection` (the new one);
   * the worker that finishes the last chunk catches up and switches the catalogue (ReindexService.complete).
   */
  async startReindex(id: string, records: ImageRecord[], target: { catalogue: string; collection: string }, source: string, requestId?: string): Promise<IngestJobState> {
    const job = newJob(id, "reindex", source, target.catalogue);
    const items: ChunkItem[] = records.map((record, index) => ({
      index,
      name: record.id,
      source: { kind: "stored", key: record.storageKey, metadata: record.metadata, createdAt: record.createdAt.getTime() },
    }));
    return this.enqueue(job, items, requestId, target.collection);
  }

  /** Any replica may cancel: workers see the flag before each item, and the job ends CANCELLED. */
  async cancel(id: string): Promise<IngestJobState> {
    const job = await this.records.get(id);
    if (!job) throw new NotFoundError("Ingest job", id);
    if (TERMINAL.has(job.status)) return job;
    await this.records.requestCancel(id);
    // Ends once a worker has seen the flag on every chunk; with no worker running, answer with the job as it is.
    const timeout = sleep(CANCEL_WAIT_MS, undefined, { ref: false });
    return (await Promise.race([this.wait(id), timeout])) ?? (await this.records.get(id))!;
  }

  async *watch(id: string): AsyncGenerator<IngestJobState> {
    // Subscribe before reading the snapshot, so no update falls between the two.
    const updates = this.pubsub.subscribe("progress", id);
    try {
      const job = await this.records.get(id);
      if (!job) throw new NotFoundError("Ingest job", id);
      yield job;
      if (TERMINAL.has(job.status)) return;
      let seen = job.processed;
      for await (const update of updates) {
        // Workers publish independently; an older snapshot that arrives late is dropped.
        if (!TERMINAL.has(update.status) && update.processed < seen) continue;
        seen = update.processed;
        yield update;
        if (TERMINAL.has(update.status)) return;
      }
    } finally {
      await updates.return?.();
    }
  }

  async wait(id: string): Promise<IngestJobState> {
    for await (const job of this.watch(id)) if (TERMINAL.has(job.status)) return job;
    throw new NotFoundError("Ingest job", id);
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.queueConnection.disconnect();
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private checkCount(count: number, field: string): void {
    if (count > this.config.maxFiles) {
      throw new BadUserInputError(`${count} ${field} in one request; the limit is ${this.config.maxFiles} (INGEST_MAX_FILES)`, { field });
    }
  }

  private async enqueue(job: IngestJobState, items: ChunkItem[], requestId?: string, collection?: string): Promise<IngestJobState> {
    const size = this.redisConfig.chunkSize;
    const chunks = Math.max(1, Math.ceil(items.length / size));
    job.total = items.length;
    await this.records.create(job, chunks);
    const { attempts } = this.redisConfig;
    await this.queue.addBulk(
      Array.from({ length: chunks }, (_, chunk) => ({
        name: "chunk",
        data: { jobId: job.id, catalogue: job.catalogue ?? "default", collection, chunk, chunks, items: items.slice(chunk * size, (chunk + 1) * size), requestId },
        // The chunk's id makes a repeated add a no-op; retries back off while Milvus or storage is down.
        opts: { jobId: `${job.id}.${chunk}`, attempts, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 },
      })),
    );
    this.deps.logger.info({ jobId: job.id, items: items.length, chunks, requestId }, "Ingest job queued");
    return job;
  }
}
