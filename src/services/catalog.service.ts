// The catalogue: an image is stored, embedded and indexed as one unit, and identified by its content hash.
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CatalogFilter, ImageOrder } from "./catalog-filter.js";
import type { EmbeddingService } from "./embedding/index.js";
import { decodeCursor } from "./image-cursor.js";
import { contentHash, decodeImage, type DecodeLimits } from "./image-decode.js";
import { IMAGE_ID, ImageStore } from "./image-store.service.js";
import type { ImageRecord, ImageRow, VectorHit } from "./image-record.js";
import type { ImageCollection } from "./milvus/image.collection.js";

/** Milvus caps a JSON field at 64 KiB; we keep well inside it. */
export const MAX_METADATA_BYTES = 32 * 1024;

export interface AddedImage {
  image: ImageRecord;
  /** False when the same bytes were already in the catalogue. */
  created: boolean;
}

export type PreparedRow = ImageRow;

export type WrittenImages = { upserted: ImageRecord[]; deleted?: undefined } | { deleted: string[]; upserted?: undefined };

/** Either the image was already stored, or here is the row to write. */
export type PreparedImage = { existing: ImageRecord; row?: undefined } | { existing?: undefined; row: PreparedRow };

export interface ImagePage {
  records: ImageRecord[];
  hasNextPage: boolean;
}

export class CatalogService {
  /** Work in flight by id, so two concurrent uploads of the same bytes do it once. */
  private readonly preparing = new Map<string, Promise<PreparedImage>>();
  /** The last update or delete queued per id. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      vectors: ImageCollection;
      images: ImageStore;
      embedder: EmbeddingService;
      limits: DecodeLimits;
      logger: Logger;
      /** Whether another catalogue still uses an image's files (the store is shared); none: never. */
      filesInUse?: (id: string) => Promise<boolean>;
      /** Told of every row written or removed, once Milvus has it (a reindex in progress copies it to its collection). */
      written?: (change: WrittenImages) => Promise<void>;
    },
  ) {}

  /** True while an image of these bytes is being added here (its files may be stored, its vector not yet). */
  isAdding(id: string): boolean {
    return this.preparing.has(id);
  }

  async add(bytes: Buffer, metadata: Record<string, unknown> = {}): Promise<AddedImage> {
    const prepared = await this.prepare(bytes, metadata);
    if (prepared.existing) return { image: prepared.existing, created: false };
    await this.upsert([prepared.row]);
    return { image: prepared.row, created: true };
  }

  /**
   * Everything before the Milvus write: validate, hash, skip if stored, embed, store the files.
   * Ingest calls this per image and writes the rows in batches; files come first, so a vector
   * never points at a missing file.
   */
  async prepare(bytes: Buffer, metadata: Record<string, unknown> = {}, options: { createdAt?: Date } = {}): Promise<PreparedImage> {
    checkMetadata(metadata);
    const id = contentHash(bytes);
    const pending = this.preparing.get(id);
    if (pending) {
      const other = await pending;
      return { existing: other.existing ?? other.row };
    }
    const work = this.prepareOnce(id, bytes, metadata, options.createdAt ?? new Date()).finally(() => this.preparing.delete(id));
    this.preparing.set(id, work);
    return work;
  }

  private async prepareOnce(id: string, bytes: Buffer, metadata: Record<string, unknown>, createdAt: Date): Promise<PreparedImage> {
    const { vectors, images, embedder, limits } = this.deps;
    // Bytes already stored passed the gate once: no need to decode them again.
    const existing = await vectors.find(id);
    if (existing) return { existing };
    const image = await decodeImage(bytes, limits, id);
    const vector = await embedder.embedImage(image);
    const storageKey = await images.put(image);
    return {
      row: {
        id,
        storageKey,
        width: image.width,
        height: image.height,
        format: image.format,
        bytes: bytes.length,
        metadata,
        createdAt,
        vector,
      },
    };
  }

  /** Writes prepared rows to Milvus in one request. */
  async commit(rows: PreparedRow[]): Promise<void> {
    await this.upsert(rows);
  }

  private async upsert(rows: ImageRow[]): Promise<void> {
    await this.deps.vectors.upsert(rows);
    await this.deps.written?.({ upserted: rows.map(({ vector: _vector, ...record }) => record) });
  }

  async find(id: string): Promise<ImageRecord | undefined> {
    if (!IMAGE_ID.test(id)) return undefined;
    return this.deps.vectors.find(id);
  }

  async get(id: string): Promise<ImageRecord> {
    const record = await this.find(id);
    if (!record) throw new NotFoundError("Image", id);
    return record;
  }

  async list(options: { first: number; after?: string; filter?: CatalogFilter; order?: ImageOrder }): Promise<ImagePage> {
    if (!Number.isInteger(options.first) || options.first < 1 || options.first > 1000) {
      throw new BadUserInputError("first must be between 1 and 1000", { field: "first" });
    }
    const order = options.order ?? "NEWEST_FIRST";
    const after = options.after ? decodeCursor(options.after, order) : undefined;
    return this.deps.vectors.list({ first: options.first, order, after, filter: options.filter });
  }

  /**
   * Changes an image's metadata and keeps its vector: the stored row is written back as it is, with no
   * model call. merge (the default) keeps keys not named and removes those given as null; otherwise
   * the metadata is replaced whole.
   */
  async update(id: string, metadata: Record<string, unknown>, merge = true): Promise<ImageRecord> {
    checkMetadata(metadata);
    return this.exclusive(id, async () => {
      const [row] = IMAGE_ID.test(id) ? await this.deps.vectors.getRows([id]) : [];
      if (!row) throw new NotFoundError("Image", id);
      const next = merge ? { ...row.metadata, ...metadata } : { ...metadata };
      for (const [key, value] of Object.entries(next)) if (value === null) delete next[key];
      checkMetadata(next);
      await this.upsert([{ ...row, metadata: next }]);
      const { vector: _vector, ...record } = { ...row, metadata: next };
      return record;
    });
  }

  /** Runs updates and deletes of one image one after another, so an update never brings back a deleted row. */
  private exclusive<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writing.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    const settled = run.then(() => undefined, () => undefined);
    this.writing.set(id, settled);
    void settled.then(() => {
      if (this.writing.get(id) === settled) this.writing.delete(id);
    });
    return run;
  }

  /** Best keyword (BM25) matches over the metadata text; NOT_SUPPORTED where the collection has no keyword index. */
  keywordMatches(text: string, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    return this.deps.vectors.searchKeywords(text, options);
  }

  /** Vector and keyword results fused by Milvus (reciprocal rank fusion). */
  hybridNearest(vector: Float32Array, keywords: string, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    return this.deps.vectors.searchHybrid(vector, keywords, options);
  }

  /** Nearest catalogue images to a query vector, by cosine similarity. */
  nearest(vector: Float32Array, options: { limit: number; filter?: CatalogFilter }): Promise<VectorHit[]> {
    return this.deps.vectors.search(vector, options);
  }

  async count(filter?: CatalogFilter): Promise<number> {
    return this.deps.vectors.count(filter);
  }

  /** Removes the vector, then the files: a crash in between leaves an unreferenced file, never a dangling vector. */
  async delete(id: string): Promise<ImageRecord> {
    return this.exclusive(id, async () => {
      const record = await this.get(id);
      await this.deps.vectors.delete([id]);
      await this.deps.written?.({ deleted: [id] });
      if (!(await this.deps.filesInUse?.(id))) await this.deps.images.remove(id, record.storageKey);
      this.deps.logger.info({ id }, "Deleted image");
      return record;
    });
  }
}

function checkMetadata(metadata: unknown): void {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new BadUserInputError("metadata must be a JSON object", { field: "metadata" });
  }
  const size = Buffer.byteLength(JSON.stringify(metadata));
  if (size > MAX_METADATA_BYTES) {
    throw new BadUserInputError(`metadata is ${size} bytes; the limit is ${MAX_METADATA_BYTES}`, { field: "metadata" });
  }
}
