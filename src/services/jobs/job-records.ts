// Ingest job records in Redis, shared by every API replica and worker. Counters move only through one
// Lua script that records each item's outcome once (HSETNX on the item's index), so a chunk retried after
// a worker died counts none of its items twice; the call that completes the last chunk is told so, once.
import type { Redis } from "ioredis";
import { MAX_ERRORS_KEPT, TERMINAL, newJob, updateRates, type IngestItemError, type IngestJobState } from "../ingest/ingest-job.js";
import { PREFIX } from "./redis.js";

/** Finished jobs are forgotten after this long. */
const KEEP_SECONDS = 7 * 24 * 3600;
const INDEX = `${PREFIX}:jobs`;
export const PROGRESS_CHANNEL = `${PREFIX}:ingest-progress`;

export type ItemOutcome = "succeeded" | "skipped" | "failed";
export interface RecordedItem {
  index: number;
  outcome: ItemOutcome;
  error?: IngestItemError;
}

const RECORD = `
local job, items, errors, chunks = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local status = redis.call('HGET', job, 'status')
if not status then return -1 end
if status == 'QUEUED' then redis.call('HSET', job, 'status', 'RUNNING', 'startedAt', ARGV[1]) end
local maxErrors = tonumber(ARGV[2])
local i = 5
while i <= #ARGV do
  if redis.call('HSETNX', items, ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HINCRBY', job, 'processed', 1)
    redis.call('HINCRBY', job, ARGV[i + 1], 1)
    if ARGV[i + 2] ~= '' and redis.call('LLEN', errors) < maxErrors then redis.call('RPUSH', errors, ARGV[i + 2]) end
  end
  i = i + 3
end
if ARGV[3] ~= '' then
  redis.call('SADD', chunks, ARGV[3])
  if redis.call('SCARD', chunks) >= tonumber(ARGV[4]) and redis.call('HSETNX', job, 'finishing', '1') == 1 then return 1 end
end
return 0
`;

const SET_IF_PRESENT = `if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end`;

export class JobRecords {
  constructor(private readonly redis: Redis) {}

  private key(id: string): string {
    return `${PREFIX}:job:${id}`;
  }

  async create(job: IngestJobState, chunks: number): Promise<void> {
    const { errors: _errors, ...fields } = job;
    await this.redis
      .multi()
      .hset(this.key(job.id), { ...stringify(fields), chunks })
      .zadd(INDEX, Date.parse(job.createdAt), job.id)
      .zremrangebyscore(INDEX, 0, Date.now() - KEEP_SECONDS * 1000)
      .exec();
  }

  async get(id: string): Promise<IngestJobState | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [[, fields], [, errors]] = (await this.redis.multi().hgetall(this.key(id)).lrange(`${this.key(id)}:errors`, 0, -1).exec()) as [[null, Record<string, string>], [null, string[]]];
    if (!fields.id) return undefined;
    const job: IngestJobState = {
      ...newJob(fields.id, fields.kind as IngestJobState["kind"], fields.source, fields.catalogue || undefined),
      status: fields.status as IngestJobState["status"],
      total: Number(fields.total),
      processed: Number(fields.processed ?? 0),
      succeeded: Number(fields.succeeded ?? 0),
      skipped: Number(fields.skipped ?? 0),
      failed: Number(fields.failed ?? 0),
      errors: errors.map((e) => JSON.parse(e) as IngestItemError),
      message: fields.message || null,
      createdAt: fields.createdAt,
      startedAt: fields.startedAt || null,
      finishedAt: fields.finishedAt || null,
    };
    updateRates(job, job.finishedAt ? Date.parse(job.finishedAt) : Date.now());
    return job;
  }

  /** Newest first. */
  async list(limit: number): Promise<IngestJobState[]> {
    const ids = await this.redis.zrevrange(INDEX, 0, limit - 1);
    const jobs = await Promise.all(ids.map((id) => this.get(id)));
    return jobs.filter((j): j is IngestJobState => j !== undefined);
  }

  /** Records item outcomes (each once) and, with `chunk`, that chunk as done; true when this completed the job's last chunk. */
  async record(id: string, items: RecordedItem[], chunk?: { index: number; count: number }): Promise<boolean> {
    const args = items.flatMap((item) => [String(item.index), item.outcome, item.error ? JSON.stringify(item.error) : ""]);
    const key = this.key(id);
    const result = await this.redis.eval(RECORD, 4, key, `${key}:items`, `${key}:errors`, `${key}:chunks`, new Date().toISOString(), MAX_ERRORS_KEPT, chunk ? String(chunk.index) : "", chunk ? chunk.count : 0, ...args);
    return result === 1;
  }

  /** Indexes of the items whose outcome is already recorded (a retried chunk skips them). */
  async recorded(id: string): Promise<Set<number>> {
    return new Set((await this.redis.hkeys(`${this.key(id)}:items`)).map(Number));
  }

  /** Whether a worker began finishing the job (its last chunk was done) and no final state was written. */
  async finishingStopped(id: string): Promise<boolean> {
    const [finishing, status] = await this.redis.hmget(this.key(id), "finishing", "status");
    return finishing === "1" && status !== null && !TERMINAL.has(status as IngestJobState["status"]);
  }

  /** Sets the message a running job shows (a reindex between its last image and its switch). */
  async note(id: string, message: string): Promise<void> {
    await this.redis.hset(this.key(id), "message", message);
  }

  /** Which API key started the job: a field of its record, so it lives exactly as long. Ignored once the record is gone. */
  async setOwner(id: string, keyName: string): Promise<void> {
    await this.redis.eval(SET_IF_PRESENT, 1, this.key(id), "owner", keyName);
  }

  async owner(id: string): Promise<string | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    return (await this.redis.hget(this.key(id), "owner")) ?? undefined;
  }

  async requestCancel(id: string): Promise<void> {
    await this.redis.hset(this.key(id), "cancel", "1");
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.hget(this.key(id), "cancel")) === "1";
  }

  /** Writes the terminal state, once; later calls change nothing. */
  async finish(job: IngestJobState): Promise<void> {
    if (!TERMINAL.has(job.status)) throw new Error(`finish() needs a terminal status, got ${job.status}`);
    const key = this.key(job.id);
    await this.redis
      .multi()
      .hset(key, { status: job.status, finishedAt: job.finishedAt ?? new Date().toISOString(), message: job.message ?? "" })
      .expire(key, KEEP_SECONDS)
      .expire(`${key}:items`, KEEP_SECONDS)
      .expire(`${key}:errors`, KEEP_SECONDS)
      .expire(`${key}:chunks`, KEEP_SECONDS)
      .exec();
  }

  async publish(job: IngestJobState): Promise<void> {
    await this.redis.publish(PROGRESS_CHANNEL, JSON.stringify(job));
  }
}

function stringify(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]));
}
