// The catalogue's vectors and per-image fields in Milvus (embedded Lite or a server). Every call checks
// the returned status, and a Milvus that is down or restarting fails requests fast with UPSTREAM_UNAVAILABLE.
import { DataType, MilvusClient, type FieldType } from "@zilliz/milvus2-sdk-node";
import type { Config } from "../config.js";
import { ConfigError, UpstreamUnavailableError } from "../errors.js";
import type { Logger } from "../logger.js";
import { LITE_CHANNEL_OPTIONS, MilvusLiteProcess } from "./milvus-lite.process.js";

export interface ImageRecord {
  id: string;
  contentHash: string;
  /** Path of the original, relative to the image store. */
  storageKey: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface VectorHit {
  record: ImageRecord;
  /** Cosine similarity, -1..1. */
  score: number;
}

export interface VectorStoreOptions {
  dimension: number;
  modelName: string;
  logger: Logger;
}

const RECORD_FIELDS = ["id", "content_hash", "storage_key", "width", "height", "format", "bytes", "metadata", "created_at"];
/** Milvus caps one query's offset + limit; page through larger reads. */
const MAX_QUERY_WINDOW = 16_384;

export class MilvusRequestError extends Error {
  constructor(operation: string, reason: string, code: unknown) {
    super(`Milvus ${operation} failed: ${reason} (code ${String(code)})`);
    this.name = "MilvusRequestError";
  }
}

export class VectorStore {
  readonly backend: "milvus-lite" | "milvus";
  private client?: MilvusClient;
  private lite?: MilvusLiteProcess;
  /** Rejected when Lite goes down, so calls in flight fail at once instead of waiting for a timeout. */
  private outage?: { promise: Promise<never>; reject: (err: Error) => void };
  private down?: string;

  private constructor(
    private readonly config: Config["milvus"],
    private readonly options: VectorStoreOptions,
  ) {
    this.backend = config.mode === "lite" ? "milvus-lite" : "milvus";
    this.resetOutage();
  }

  get collection(): string {
    return this.config.collection;
  }

  get dimension(): number {
    return this.options.dimension;
  }

  get indexType(): string {
    return this.config.index.type;
  }

  /** Where the data lives, for logs and stats: the Lite file or the server address. */
  get location(): string {
    return this.config.mode === "lite" ? this.config.liteDbPath! : this.config.address!;
  }

  /** The supervised Lite process (undefined for a remote Milvus); tests use it to simulate a crash. */
  get liteProcess(): MilvusLiteProcess | undefined {
    return this.lite;
  }

  static async open(config: Config["milvus"], options: VectorStoreOptions): Promise<VectorStore> {
    const store = new VectorStore(config, options);
    try {
      await store.connect();
      await store.ensureCollection();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private async connect(): Promise<void> {
    if (this.config.mode === "remote") {
      this.client = this.newClient(this.config.address!);
      return;
    }
    this.lite = new MilvusLiteProcess({ dbPath: this.config.liteDbPath!, logger: this.options.logger, startupTimeoutMs: this.config.startupTimeoutMs });
    this.lite.on("down", (reason) => {
      this.down = reason;
      this.outage!.reject(new UpstreamUnavailableError("milvus", `Milvus stopped while handling this request (${reason}); it is restarting, try again`));
    });
    this.lite.on("up", (address) => void this.reconnect(address));
    this.client = this.newClient(await this.lite.start());
  }

  private async reconnect(address: string): Promise<void> {
    const old = this.client;
    this.client = this.newClient(address);
    void old?.closeConnection().catch(() => undefined);
    this.resetOutage();
    // Ordinary requests stay refused until the collection is loaded again.
    for (let attempt = 1; this.client && this.lite?.address === address; attempt++) {
      try {
        await this.ensureCollection({ whileDown: true });
        this.down = undefined;
        this.options.logger.info({ address }, "Reconnected to Milvus Lite");
        return;
      } catch (err) {
        this.options.logger.error({ err, attempt }, "Milvus Lite restarted but the collection could not be loaded yet");
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 5000)));
      }
    }
  }

  private newClient(address: string): MilvusClient {
    return new MilvusClient({
      address,
      token: this.config.token,
      timeout: this.config.requestTimeoutMs,
      maxRetries: 1,
      logLevel: "error",
      ...(this.backend === "milvus-lite" ? { channelOptions: LITE_CHANNEL_OPTIONS } : {}),
    });
  }

  private resetOutage(): void {
    let reject!: (err: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    this.outage = { promise, reject };
  }

  /** Runs one Milvus request: fails fast while Lite is down, maps transport failures, checks the status. */
  private async call<T extends { status?: Status } | Status>(
    operation: string,
    request: (client: MilvusClient) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    if ((this.down && !options.whileDown) || !this.client) {
      throw new UpstreamUnavailableError("milvus", `Milvus is not available right now (${this.down ?? "not connected"}); try again in a moment`);
    }
    let result: T;
    try {
      result = await Promise.race([request(this.client), this.outage!.promise]);
    } catch (err) {
      if (err instanceof UpstreamUnavailableError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|connect/i.test(message)) {
        throw new UpstreamUnavailableError("milvus", `Milvus did not answer (${operation}): ${message.split("\n")[0]}`);
      }
      throw err;
    }
    const status: Status | undefined = "status" in result && result.status ? result.status : (result as Status);
    if (status && ((status.code !== undefined && status.code !== 0) || (status.error_code !== undefined && status.error_code !== "Success" && status.error_code !== 0))) {
      throw new MilvusRequestError(operation, status.reason || String(status.error_code), status.code ?? status.error_code);
    }
    return result;
  }

  private expectedFields(): FieldType[] {
    return [
      { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: 64, description: "sha256 of the original bytes" },
      { name: "vector", data_type: DataType.FloatVector, dim: this.options.dimension },
      { name: "content_hash", data_type: DataType.VarChar, max_length: 64 },
      { name: "storage_key", data_type: DataType.VarChar, max_length: 512 },
      { name: "width", data_type: DataType.Int32 },
      { name: "height", data_type: DataType.Int32 },
      { name: "format", data_type: DataType.VarChar, max_length: 16 },
      { name: "bytes", data_type: DataType.Int64 },
      { name: "metadata", data_type: DataType.JSON },
      { name: "created_at", data_type: DataType.Int64, description: "milliseconds since the epoch" },
    ];
  }

  /** Creates the collection and its index, or checks an existing one matches; then loads it. */
  async ensureCollection(options: CallOptions = {}): Promise<void> {
    const name = this.config.collection;
    // hasCollection answers true for any name on Milvus Lite, so list instead.
    const listed = await this.call("listCollections", (c) => c.listCollections(), options);
    const names = listed.data.map((c) => c.name);
    if (!names.includes(name)) {
      await this.call("createCollection", (c) =>
        c.createCollection({ collection_name: name, fields: this.expectedFields(), description: `mmrag images; model ${this.options.modelName}` }),
        options,
      );
      this.options.logger.info({ collection: name, dimension: this.options.dimension }, "Created Milvus collection");
    } else {
      await this.checkSchema(options);
    }
    await this.ensureIndex(options);
    await this.call("loadCollection", (c) => c.loadCollection({ collection_name: name }), options);
  }

  private async checkSchema(options: CallOptions): Promise<void> {
    const name = this.config.collection;
    const described = await this.call("describeCollection", (c) => c.describeCollection({ collection_name: name }), options);
    const actual = new Map(described.schema.fields.map((f) => [f.name, f]));
    const problems: string[] = [];
    for (const field of this.expectedFields()) {
      const found = actual.get(field.name);
      const expectedType = DataType[field.data_type as DataType];
      if (!found) {
        problems.push(`field "${field.name}" (${expectedType}) is missing`);
        continue;
      }
      if (found.data_type !== expectedType) problems.push(`field "${field.name}" is ${found.data_type} there, ${expectedType} here`);
      if (field.dim !== undefined) {
        const dim = Number(found.type_params.find((p) => p.key === "dim")?.value);
        if (dim !== this.options.dimension) {
          problems.push(`vector dimension is ${dim} there, but the model "${this.options.modelName}" produces ${this.options.dimension}`);
        }
      }
      if (field.is_primary_key && !found.is_primary_key) problems.push(`field "${field.name}" is not the primary key there`);
    }
    for (const extra of actual.keys()) {
      if (!this.expectedFields().some((f) => f.name === extra)) problems.push(`field "${extra}" is there but not expected`);
    }
    if (problems.length > 0) {
      throw new ConfigError(
        `The Milvus collection "${name}" at ${this.location} does not match this server:\n` +
          problems.map((p) => `  - ${p}`).join("\n") +
          `\n${described.schema.description ? `It was created for: ${described.schema.description}.\n` : ""}` +
          `To fix: set MILVUS_COLLECTION to a new name (e.g. ${name}_${this.options.dimension}), ` +
          `or start with the model the collection was built with, or drop the collection to rebuild it.`,
      );
    }
  }

  private async ensureIndex(options: CallOptions): Promise<void> {
    const name = this.config.collection;
    const existing = await this.client!.describeIndex({ collection_name: name, field_name: "vector" }).catch(() => undefined);
    const current = existing?.index_descriptions?.[0]?.params.find((p) => p.key === "index_type")?.value;
    if (current) {
      if (current !== this.config.index.type) {
        this.options.logger.warn({ existing: current, configured: this.config.index.type }, "The collection keeps its existing vector index type");
      }
      return;
    }
    const { type, nlist, hnswM, hnswEfConstruction } = this.config.index;
    const params: Record<string, number> = type === "IVF_FLAT" ? { nlist } : type === "HNSW" ? { M: hnswM, efConstruction: hnswEfConstruction } : {};
    await this.call("createIndex", (c) =>
      c.createIndex({ collection_name: name, field_name: "vector", index_type: type, metric_type: "COSINE", params }),
      options,
    );
  }

  /** Upsert, not insert: Milvus does not enforce unique keys, and a re-added image must not appear twice. */
  async upsert(rows: Array<ImageRecord & { vector: Float32Array }>): Promise<void> {
    if (rows.length === 0) return;
    for (const row of rows) {
      if (row.vector.length !== this.options.dimension) {
        throw new Error(`Vector for ${row.id} has ${row.vector.length} dimensions, the collection ${this.options.dimension}`);
      }
    }
    await this.call("upsert", (c) =>
      c.upsert({
        collection_name: this.config.collection,
        data: rows.map((r) => ({ ...toRow(r), vector: Array.from(r.vector) })),
      }),
    );
  }

  async get(ids: string[]): Promise<ImageRecord[]> {
    if (ids.length === 0) return [];
    const res = await this.call("query", (c) =>
      c.query({ collection_name: this.config.collection, filter: `id in ${JSON.stringify(ids)}`, output_fields: RECORD_FIELDS, limit: ids.length }),
    );
    const byId = new Map(res.data.map((row) => [row.id as string, fromRow(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** Vectors of stored images, for "more like this". */
  async getVector(id: string): Promise<Float32Array | undefined> {
    const res = await this.call("query", (c) =>
      c.query({ collection_name: this.config.collection, filter: `id == ${JSON.stringify(id)}`, output_fields: ["vector"], limit: 1 }),
    );
    const vector = res.data[0]?.vector as number[] | undefined;
    return vector ? Float32Array.from(vector) : undefined;
  }

  /** One page in primary-key order (Milvus returns query results sorted by key), after the given id. */
  async list(options: { first: number; after?: string; expression?: string }): Promise<{ records: ImageRecord[]; hasNextPage: boolean }> {
    const clauses = [options.expression, options.after ? `id > ${JSON.stringify(options.after)}` : undefined].filter(Boolean);
    const res = await this.call("query", (c) =>
      c.query({
        collection_name: this.config.collection,
        filter: clauses.map((cl) => `(${cl})`).join(" and ") || 'id != ""',
        output_fields: RECORD_FIELDS,
        limit: Math.min(options.first + 1, MAX_QUERY_WINDOW),
      }),
    );
    const records = res.data.map(fromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { records: records.slice(0, options.first), hasNextPage: records.length > options.first };
  }

  async count(expression?: string): Promise<number> {
    const res = await this.call("count", (c) =>
      c.query({ collection_name: this.config.collection, filter: expression ?? "", output_fields: ["count(*)"] }),
    );
    return Number(res.data[0]?.["count(*)"] ?? 0);
  }

  async search(vector: Float32Array, options: { limit: number; expression?: string }): Promise<VectorHit[]> {
    const res = await this.call("search", (c) =>
      c.search({
        collection_name: this.config.collection,
        data: Array.from(vector),
        limit: options.limit,
        filter: options.expression || undefined,
        output_fields: RECORD_FIELDS,
        metric_type: "COSINE",
        params: this.searchParams(),
      }),
    );
    return res.results.map((row) => ({ record: fromRow(row), score: Number(row.score) }));
  }

  /** Search-time knobs of the configured index: more probes or a larger ef buy recall with time. */
  private searchParams(): Record<string, number> {
    const { type, nprobe, hnswEf } = this.config.index;
    return type === "IVF_FLAT" ? { nprobe } : type === "HNSW" ? { ef: hnswEf } : {};
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const res = await this.call("delete", (c) => c.delete({ collection_name: this.config.collection, filter: `id in ${JSON.stringify(ids)}` }));
    return Number(res.delete_cnt ?? 0);
  }

  /** For /readyz: answers within the request timeout, never throws. */
  async ping(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.call("listCollections", (c) => c.listCollections());
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    await this.client?.closeConnection().catch(() => undefined);
    this.client = undefined;
    await this.lite?.stop();
  }

  /** Synchronous last resort for process exit paths. */
  killNow(): void {
    this.lite?.killNow();
  }
}

interface CallOptions {
  /** Set while reconnecting after a restart, when ordinary requests are still refused. */
  whileDown?: boolean;
}

interface Status {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

function toRow(r: ImageRecord): Record<string, unknown> {
  return {
    id: r.id,
    content_hash: r.contentHash,
    storage_key: r.storageKey,
    width: r.width,
    height: r.height,
    format: r.format,
    bytes: r.bytes,
    metadata: r.metadata,
    created_at: r.createdAt.getTime(),
  };
}

function fromRow(row: Record<string, unknown>): ImageRecord {
  return {
    id: String(row.id),
    contentHash: String(row.content_hash),
    storageKey: String(row.storage_key),
    width: Number(row.width),
    height: Number(row.height),
    format: String(row.format),
    bytes: Number(row.bytes),
    metadata: (row.metadata as Record<string, unknown>) ?? {},
    createdAt: new Date(Number(row.created_at)),
  };
}
