// Reads and writes image rows in one Milvus collection. Callers pass filter values; the Milvus
// expression is built here and nowhere else.
import { RRFRanker } from "@zilliz/milvus2-sdk-node";
import { NotSupportedError } from "../../errors.js";
import type { CatalogFilter, ImageOrder } from "../catalog-filter.js";
import type { ImageRecord, ImageRow, VectorHit } from "../image-record.js";
import { KEYWORDS_FIELD, KEYWORDS_SPARSE_FIELD, MAX_KEYWORD_BYTES, type CollectionLayout, type ImageCollectionSpec } from "./image-collection.schema.js";
import { allOf, toMilvusExpression } from "./milvus-expression.js";
import type { MilvusConnection } from "./milvus.connection.js";

const RECORD_FIELDS = ["id", "storage_key", "width", "height", "format", "bytes", "metadata", "created_at"];
/** Milvus caps one query's offset + limit; page through larger reads. */
const MAX_QUERY_WINDOW = 16_384;
/** Ids per coalesced lookup; well inside Milvus's expression size limit. */
const MAX_LOOKUP_BATCH = 1000;

/** Where the previous page ended: its last record's id and, for date orders, its creation time (ms). */
export interface ListPosition {
  id: string;
  createdAt: number;
}

export class ImageCollection {
  /** Lookups waiting for the next query, so concurrent single-id reads (one per ingested item) share one request. */
  private readonly queued = new Map<string, Array<{ resolve: (r: ImageRecord | undefined) => void; reject: (err: unknown) => void }>>();
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

  /** The model the collection was made for ("" when its description does not say). */
  get model(): string {
    return this.layout.model;
  }

  /** Whether keyword (BM25) and hybrid search work on this collection. */
  get hasKeywords(): boolean {
    return this.layout.keywords;
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

  /** Records with their stored vectors, to rewrite a row without embedding it again. */
  async getRows(ids: string[]): Promise<ImageRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.query(`id in ${JSON.stringify(ids)}`, [...RECORD_FIELDS, "vector"], ids.length);
    const byId = new Map(rows.map((row) => [String(row.id), { ...fromRow(row), vector: Float32Array.from(row.vector as number[]) }]));
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

  /**
   * One page of records. In id order Milvus does the paging (it returns query results sorted by key);
   * in date order it has no ORDER BY, so we read every matching row's id and date, sort those, and
   * fetch the page's records: one light scan per page.
   */
  async list(options: { first: number; order: ImageOrder; after?: ListPosition; filter?: CatalogFilter }): Promise<{ records: ImageRecord[]; hasNextPage: boolean }> {
    const { first, order, after } = options;
    if (order === "ID") {
      const expression = allOf(toMilvusExpression(options.filter), after ? `id > ${JSON.stringify(after.id)}` : undefined);
      const rows = await this.query(expression ?? 'id != ""', RECORD_FIELDS, Math.min(first + 1, MAX_QUERY_WINDOW));
      const records = rows.map(fromRow).sort((a, b) => compare(a.id, b.id));
      return { records: records.slice(0, first), hasNextPage: records.length > first };
    }
    const newest = order === "NEWEST_FIRST";
    const beyond = after
      ? `created_at ${newest ? "<" : ">"} ${after.createdAt} or (created_at == ${after.createdAt} and id ${newest ? "<" : ">"} ${JSON.stringify(after.id)})`
      : undefined;
    const keys = await this.scanKeys(allOf(toMilvusExpression(options.filter), beyond));
    const direction = newest ? -1 : 1;
    keys.sort((a, b) => direction * (a.createdAt - b.createdAt || compare(a.id, b.id)));
    const page = keys.slice(0, first).map((k) => k.id);
    return { records: await this.get(page), hasNextPage: keys.length > first };
  }

  /** Id and date of every row matching the expression, a query window at a time. */
  private async scanKeys(expression: string | undefined): Promise<Array<{ id: string; createdAt: number }>> {
    const keys: Array<{ id: string; createdAt: number }> = [];
    let last: string | undefined;
    for (;;) {
      const rows = await this.query(allOf(expression, last ? `id > ${JSON.stringify(last)}` : undefined) ?? 'id != ""', ["id", "created_at"], MAX_QUERY_WINDOW);
      for (const row of rows) keys.push({ id: String(row.id), createdAt: Number(row.created_at) });
      if (rows.length < MAX_QUERY_WINDOW) return keys;
      last = rows.map((r) => String(r.id)).sort(compare).at(-1);
    }
  }

  private async query(filter: string, fields: string[], limit: number): Promise<Array<Record<string, unknown>>> {
    const res = await this.connection.call("query", (c) => c.query({ collection_name: this.spec.name, filter, output_fields: fields, limit }));
    return res.data;
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

  /** Images whose keyword text (the KEYWORD_FIELDS of their metadata) best matches the words, by BM25 score. */
  async searchKeywords(text: string, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    this.requireKeywords();
    const res = await this.connection.call("search", (c) =>
      c.search({
        collection_name: this.spec.name,
        // One query as a one-element list: the SDK answers a bare string with no results.
        data: [text],
        anns_field: KEYWORDS_SPARSE_FIELD,
        limit: options.limit,
        filter: toMilvusExpression(options.filter),
        output_fields: RECORD_FIELDS,
        metric_type: "BM25",
      }),
    );
    // With nq = 1 the SDK flattens the results to one list of rows.
    return (res.results as unknown as Array<Record<string, unknown>>).map((row) => ({ record: fromRow(row), score: Number(row.score) }));
  }

  /** Vector and keyword results fused by Milvus with reciprocal rank fusion (k = 60); scores are RRF scores. */
  async searchHybrid(vector: Float32Array, text: string, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    this.requireKeywords();
    const expr = toMilvusExpression(options.filter);
    const res = await this.connection.call("hybridSearch", (c) =>
      c.hybridSearch({
        collection_name: this.spec.name,
        data: [
          { data: Array.from(vector), anns_field: "vector", params: this.searchParams(), expr },
          { data: text, anns_field: KEYWORDS_SPARSE_FIELD, expr },
        ],
        rerank: RRFRanker(60),
        limit: options.limit,
        output_fields: RECORD_FIELDS,
      }),
    );
    return res.results.map((row) => ({ record: fromRow(row), score: Number(row.score) }));
  }

  private requireKeywords(): void {
    if (!this.layout.keywords) {
      throw new NotSupportedError(
        `The collection "${this.spec.name}" has no keyword index: it was made before keyword search existed, or by a Milvus without BM25 functions ` +
          "(Milvus and Milvus Lite 2.5 or later have them). Create a new catalogue and add the images there to search by keywords.",
      );
    }
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
      ...(this.layout.keywords ? { [KEYWORDS_FIELD]: keywordText(r.metadata, this.spec.keywordFields) } : {}),
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

/** The metadata's text under the given keys (strings, numbers and lists of them), cut to MAX_KEYWORD_BYTES. */
export function keywordText(metadata: Record<string, unknown>, keys: string[]): string {
  const words = (value: unknown): string[] =>
    typeof value === "string" || typeof value === "number" ? [String(value)] : Array.isArray(value) ? value.flatMap(words) : [];
  let text = keys.flatMap((k) => words(metadata[k])).join(" ");
  while (Buffer.byteLength(text) > MAX_KEYWORD_BYTES) text = text.slice(0, Math.floor(text.length * 0.9));
  return text;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
