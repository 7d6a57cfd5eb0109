// The catalogue: an image is stored, embedded and indexed as one unit, and identified by its content hash.
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CatalogFilter } from "./catalog-filter.js";
import type { EmbeddingService } from "./embedding/index.js";
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

/** Either the image was already stored, or here is the row to write. */
export type PreparedImage = { existing: ImageRecord; row?: undefined } | { existing?: undefined; row: PreparedRow };

export interface ImagePage {
  records: ImageRecord[];
  hasNextPage: boolean;
}

export class CatalogService {
  /** Work in flight by id, so two concurrent uploads of the same bytes do it once. */
  private readonly preparing = new Map<string, Promise<PreparedImage>>();

  constructor(
    private readonly deps: {
      vectors: ImageCollection;
      images: ImageStore;
      embedder: EmbeddingService;
      limits: DecodeLimits;
      logger: Logger;
    },
  ) {}

  async add(bytes: Buffer, metadata: Record<string, unknown> = {}): Promise<AddedImage> {
    const prepared = await this.prepare(bytes, metadata);
    if (prepared.existing) return { image: prepared.existing, created: false };
    await this.deps.vectors.upsert([prepared.row]);
    return { image: prepared.row, created: true };
  }

  /**
   * Everything before the Milvus write: validate, hash, skip if stored, embed, store the files.
   * Ingest calls this per image and writes the rows in batches; files come first, so a vector
   * never points at a missing file.
   */
  async prepare(bytes: Buffer, metadata: Record<string, unknown> = {}): Promise<PreparedImage> {
    checkMetadata(metadata);
    const id = contentHash(bytes);
    const pending = this.preparing.get(id);
    if (pending) {
      const other = await pending;
      return { existing: other.existing ?? other.row };
    }
    const work = this.prepareOnce(id, bytes, metadata).finally(() => this.preparing.delete(id));
    this.preparing.set(id, work);
    return work;
  }

  private async prepareOnce(id: string, bytes: Buffer, metadata: Record<string, unknown>): Promise<PreparedImage> {
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
        createdAt: new Date(),
        vector,
      },
    };
  }

  /** Writes prepared rows to Milvus in one request. */
  async commit(rows: PreparedRow[]): Promise<void> {
    await this.deps.vectors.upsert(rows);
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

  async list(options: { first: number; after?: string; filter?: CatalogFilter }): Promise<ImagePage> {
    if (!Number.isInteger(options.first) || options.first < 1 || options.first > 1000) {
      throw new BadUserInputError("first must be between 1 and 1000", { field: "first" });
    }
    const after = options.after ? decodeCursor(options.after) : undefined;
    return this.deps.vectors.list({ first: options.first, after, filter: options.filter });
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
    const record = await this.get(id);
    await this.deps.vectors.delete([id]);
    await this.deps.images.remove(id, record.storageKey);
    this.deps.logger.info({ id }, "Deleted image");
    return record;
  }
}

export function encodeCursor(id: string): string {
  return Buffer.from(`image:${id}`).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const id = decoded.startsWith("image:") ? decoded.slice(6) : "";
  if (!IMAGE_ID.test(id)) throw new BadUserInputError("The cursor is not one this server gave out", { field: "after" });
  return id;
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
