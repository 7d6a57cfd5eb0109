// The searches: text, image, an image already in the catalogue, and the composed image + instruction
// search that ends with a vision LLM reranking a numbered panorama of the candidates.
import { performance } from "node:perf_hooks";
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CatalogFilter } from "./catalog-filter.js";
import type { CatalogService } from "./catalog.service.js";
import type { EmbeddingService } from "./embedding/index.js";
import { decodeImage, type DecodedImage, type DecodeLimits } from "./image-decode.js";
import type { ImageStore } from "./image-store.service.js";
import type { PanoramaService } from "./panorama/index.js";
import type { RerankService } from "./rerank/index.js";
import type { ImageRecord, VectorHit } from "./image-record.js";

export const MAX_LIMIT = 100;
export const MAX_INSTRUCTION_CHARS = 2000;

export interface SearchOptions {
  limit: number;
  filter?: CatalogFilter;
  /** Drop hits below this cosine similarity. */
  minScore?: number;
}

export interface Hit {
  record: ImageRecord;
  score: number;
  rank: number;
}

export interface ComposedQuery extends SearchOptions {
  /** The query image's bytes, or the id of a catalogue image to use as the query. */
  image?: Buffer;
  imageId?: string;
  instruction: string;
  rerank: boolean;
  /** CLIP-family models only: weight of the image in the blended query, 0..1. */
  imageWeight?: number;
}

export interface ComposedResult {
  instruction: string;
  instructionTruncated: boolean;
  hits: Hit[];
  ranking: Hit[];
  best: Hit | null;
  explanation: string | null;
  reranked: boolean;
  rerankError: string | null;
  model: string | null;
  panoramaId: string | null;
  timings: { embedMs: number; searchMs: number; rerankMs: number; totalMs: number };
}

export class SearchService {
  constructor(
    private readonly deps: {
      embedder: EmbeddingService;
      catalog: CatalogService;
      images: ImageStore;
      panorama: PanoramaService;
      reranker: RerankService;
      limits: DecodeLimits;
      logger: Logger;
    },
  ) {}

  async byText(text: string, options: SearchOptions): Promise<Hit[]> {
    checkOptions(options);
    if (text.trim() === "") throw new BadUserInputError("text is empty", { field: "text" });
    checkInstruction(text, "text");
    return this.nearest(await this.deps.embedder.embedText(text), options);
  }

  async byImage(image: Buffer, options: SearchOptions): Promise<Hit[]> {
    checkOptions(options);
    return this.nearest(await this.deps.embedder.embedImage(await decodeImage(image, this.deps.limits)), options);
  }

  /** Images like a catalogue image, without uploading it again; the image itself is left out. */
  async similarTo(imageId: string, options: SearchOptions): Promise<Hit[]> {
    checkOptions(options);
    const record = await this.deps.catalog.get(imageId);
    const image = await this.decodeStored(record);
    const hits = await this.nearest(await this.deps.embedder.embedImage(image), { ...options, limit: options.limit + 1 });
    return rank(hits.filter((h) => h.record.id !== imageId).slice(0, options.limit));
  }

  async composed(query: ComposedQuery): Promise<ComposedResult> {
    checkOptions(query);
    checkInstruction(query.instruction, "instruction");
    if (query.imageWeight !== undefined && !(query.imageWeight >= 0 && query.imageWeight <= 1)) {
      throw new BadUserInputError("imageWeight must be between 0 and 1", { field: "imageWeight" });
    }
    const started = performance.now();
    const image = await this.queryImage(query);

    const embedStarted = performance.now();
    const embedding = await this.deps.embedder.embedComposed(image, query.instruction, { imageWeight: query.imageWeight });
    const embedMs = performance.now() - embedStarted;

    const searchStarted = performance.now();
    const hits = await this.nearest(embedding.vector, query);
    const searchMs = performance.now() - searchStarted;

    const result: ComposedResult = {
      instruction: query.instruction,
      instructionTruncated: embedding.truncated,
      hits,
      ranking: hits,
      best: hits[0] ?? null,
      explanation: null,
      reranked: false,
      rerankError: query.rerank ? null : "rerank was not requested",
      model: null,
      panoramaId: null,
      timings: { embedMs, searchMs, rerankMs: 0, totalMs: 0 },
    };
    if (query.rerank) await this.rerankInto(result, image);
    result.timings.totalMs = performance.now() - started;
    return result;
  }

  private async rerankInto(result: ComposedResult, queryImage: DecodedImage): Promise<void> {
    const started = performance.now();
    // The reranker asks for the panorama only when an LLM will read it (none configured: none drawn).
    const panorama = async () => {
      const candidates = result.hits.map((h) => ({ id: h.record.id, load: () => this.decodeStored(h.record).catch(() => undefined) }));
      const drawn = await this.deps.panorama.panoramaFor(queryImage, candidates);
      result.panoramaId = drawn.id;
      return drawn.jpeg;
    };
    const outcome = await this.deps.reranker.rerank({
      instruction: result.instruction,
      queryImageHash: queryImage.id,
      panorama,
      candidates: result.hits.map((h) => ({ id: h.record.id, metadata: h.record.metadata })),
    });
    result.ranking = rank(outcome.order.map((i) => result.hits[i]));
    result.best = result.ranking[0] ?? null;
    result.explanation = outcome.explanation;
    result.reranked = outcome.reranked;
    result.rerankError = outcome.error;
    result.model = outcome.model;
    // Time spent with the LLM (and its panorama); 0 when none was asked.
    if (result.panoramaId) result.timings.rerankMs = performance.now() - started;
  }

  private async queryImage(query: ComposedQuery): Promise<DecodedImage> {
    if (query.image && query.imageId) throw new BadUserInputError("Give either image or imageId, not both", { field: "imageId" });
    if (query.imageId) return this.decodeStored(await this.deps.catalog.get(query.imageId));
    if (!query.image) throw new BadUserInputError("A query image is required: upload one as image, or name a catalogue image with imageId", { field: "image" });
    return decodeImage(query.image, this.deps.limits);
  }

  private async nearest(vector: Float32Array, options: SearchOptions): Promise<Hit[]> {
    const found: VectorHit[] = await this.deps.catalog.nearest(vector, { limit: options.limit, filter: options.filter });
    const kept = options.minScore === undefined ? found : found.filter((h) => h.score >= options.minScore!);
    return rank(kept.map((h) => ({ record: h.record, score: h.score, rank: 0 })));
  }

  /** A catalogue image decoded for use as a query or a panorama tile; its id is known, so it is not re-hashed. */
  private async decodeStored(record: ImageRecord): Promise<DecodedImage> {
    const bytes = await this.deps.images.readOriginal(record.storageKey);
    if (!bytes) throw new NotFoundError("Image file", record.id);
    return decodeImage(bytes, this.deps.limits, record.id);
  }
}

function rank(hits: Hit[]): Hit[] {
  return hits.map((h, i) => ({ ...h, rank: i + 1 }));
}

function checkOptions(options: SearchOptions): void {
  if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_LIMIT) {
    throw new BadUserInputError(`limit must be between 1 and ${MAX_LIMIT}`, { field: "limit" });
  }
  if (options.minScore !== undefined && !(options.minScore >= -1 && options.minScore <= 1)) {
    throw new BadUserInputError("minScore must be between -1 and 1", { field: "filter.minScore" });
  }
}

function checkInstruction(text: string, field: string): void {
  if (text.length > MAX_INSTRUCTION_CHARS) {
    throw new BadUserInputError(`${field} is ${text.length} characters; the limit is ${MAX_INSTRUCTION_CHARS}`, { field });
  }
}
