// Reads and writes image rows in one Milvus collection. Callers pass filter values; the Milvus
// expression is built here and nowhere else.
import type { CatalogFilter } from "../catalog-filter.js";
import type { ImageRecord, ImageRow, VectorHit } from "../image-record.js";
import type { ImageCollectionSpec, CollectionLayout } from "./image-collection.schema.js";
import { allOf, toMilvusExpression } from "./milvus-expression.js";
import type { MilvusConnection } from "./milvus.connection.js";

const RECORD_FIELDS = ["id", "storage_key", "width", "height", "format", "bytes", "metadata", "created_at"];
/** Milvus caps one query's offset + limit; page through larger reads. */
const MAX_QUERY_WINDOW = 16_384;
/** Ids per coalesced lookup; well inside Milvus's expression size limit. */
const MAX_LOOKUP_BATCH = 1000;

export class ImageCollection {
  /** Lookups waiting for the next query, so concurrent single-id reads (one per ingested item) share one request. */
  private queued = new Map<string, Array<{ resolve: (r: ImageRecord | undefined) => void; reject: (err: unknown) => void }>>();
  private lookupRunning = false;

  constructor(
    private readonly connection: MilvusConnection,
    private readonly spec: ImageCollectionSpec,
    private readonly layout: CollectionLayout,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get dimension(): number {
    return this.spec.dimension;
  }

  get indexType(): string {
    return this.spec.index.type;
  }

  /** Upsert, not insert: Milvus does not enforce unique keys, and a re-added image must not appear twice. */
  async upsert(rows: ImageRow[]): Promise<void> {
    if (rows.length === 0) return;
    for (const row of rows) {
      if (row.vector.length !== this.spec.dimension) {
        throw new Error(`Vector for ${row.id} has ${row.vector.length} dimensions, the collection ${this.spec.dimension}`);
      }
    }
    await this.connection.call("upsert", (c) =>
      c.upsert({
        collection_name: this.spec.name,
        data: rows.map((r) => ({ ...this.toRow(r), vector: Array.from(r.vector) })),
      }),
    );
  }

  async get(ids: string[]): Promise<ImageRecord[]> {
    if (ids.length === 0) return [];
    const res = await this.connection.call("query", (c) =>
      c.query({ collection_name: this.spec.name, filter: `id in ${JSON.stringify(ids)}`, output_fields: RECORD_FIELDS, limit: ids.length }),
    );
    const byId = new Map(res.data.map((row) => [row.id as string, fromRow(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** One record by id. Lookups made while another is in flight are sent together as one query. */
  find(id: string): Promise<ImageRecord | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(id, [{ resolve, reject }]);
      if (!this.lookupRunning) void this.runLookups();
    });
  }

  private async runLookups(): Promise<void> {
    this.lookupRunning = true;
    while (this.queued.size > 0) {
      const batch = [...this.queued].slice(0, MAX_LOOKUP_BATCH);
      for (const [id] of batch) this.queued.delete(id);
      try {
        const found = new Map((await this.get(batch.map(([id]) => id))).map((r) => [r.id, r]));
        for (const [id, waiters] of batch) waiters.forEach((w) => w.resolve(found.get(id)));
      } catch (err) {
        for (const [, waiters] of batch) waiters.forEach((w) => w.reject(err));
      }
    }
    this.lookupRunning = false;
  }

  /** One page in primary-key order (Milvus returns query results sorted by key), after the given id. */
  async list(options: { first: number; after?: string; filter?: CatalogFilter }): Promise<{ records: ImageRecord[]; hasNextPage: boolean }> {
    const expression = allOf(toMilvusExpression(options.filter), options.after ? `id > ${JSON.stringify(options.after)}` : undefined);
    const res = await this.connection.call("query", (c) =>
      c.query({
        collection_name: this.spec.name,
        filter: expression ?? 'id != ""',
        output_fields: RECORD_FIELDS,
        limit: Math.min(options.first + 1, MAX_QUERY_WINDOW),
      }),
    );
    const records = res.data.map(fromRow).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { records: records.slice(0, options.first), hasNextPage: records.length > options.first };
  }

  async count(filter?: CatalogFilter): Promise<number> {
    const expression = toMilvusExpression(filter);
    const res = await this.connection.call("count", (c) =>
      c.query({ collection_name: this.spec.name, filter: expression ?? "", output_fields: ["count(*)"] }),
    );
    return Number(res.data[0]?.["count(*)"] ?? 0);
  }

  async search(vector: Float32Array, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    const expression = toMilvusExpression(options.filter);
    const res = await this.connection.call("search", (c) =>
      c.search({
        collection_name: this.spec.name,
        data: Array.from(vector),
        limit: options.limit,
        filter: expression,
        output_fields: RECORD_FIELDS,
        metric_type: "COSINE",
        params: this.searchParams(),
      }),
    );
    return res.results.map((row) => ({ record: fromRow(row), score: Number(row.score) }));
  }

  /** Search-time knobs of the configured index: more probes or a larger ef buy recall with time. */
  private searchParams(): Record<string, number> {
    const { type, nprobe, hnswEf } = this.spec.index;
    return type === "IVF_FLAT" ? { nprobe } : type === "HNSW" ? { ef: hnswEf } : {};
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const res = await this.connection.call("delete", (c) => c.delete({ collection_name: this.spec.name, filter: `id in ${JSON.stringify(ids)}` }));
    return Number(res.delete_cnt ?? 0);
  }

  private toRow(r: ImageRecord): Record<string, unknown> {
    return {
      id: r.id,
      ...(this.layout.legacyContentHash ? { content_hash: r.id } : {}),
      storage_key: r.storageKey,
      width: r.width,
      height: r.height,
      format: r.format,
      bytes: r.bytes,
      metadata: r.metadata,
      created_at: r.createdAt.getTime(),
    };
  }
}

function fromRow(row: Record<string, unknown>): ImageRecord {
  return {
    id: String(row.id),
    storageKey: String(row.storage_key),
    width: Number(row.width),
    height: Number(row.height),
    format: String(row.format),
    bytes: Number(row.bytes),
    metadata: (row.metadata as Record<string, unknown>) ?? {},
    createdAt: new Date(Number(row.created_at)),
  };
}
