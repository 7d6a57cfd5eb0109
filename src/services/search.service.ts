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
import { DEFAULT_EXCLUDE_WEIGHT, MAX_EXCLUDE_TERMS, moveAwayFrom } from "./query-vector.js";
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

/** VECTOR: by meaning (the model); KEYWORD: by words in the metadata (BM25); HYBRID: both, fused by rank. */
export type TextSearchMode = "VECTOR" | "KEYWORD" | "HYBRID";

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
  /** Texts the results should be unlike; see moveAwayFrom for the formula. */
  exclude?: string[];
  excludeWeight?: number;
  /** Words to match in the metadata too: the vector results are fused with a keyword (BM25) search. */
  keywords?: string;
}

export interface TextQuery extends SearchOptions {
  text: string;
}

export const MAX_BATCH_QUERIES = 32;

/** Told of a composed search's progress, for streaming it. */
export interface ComposedListener {
  /** The vector hits, as soon as Milvus answers. */
  hits?(hits: Hit[]): void;
  /** The LLM's answer text as it arrives (the LLM is then asked for a streamed answer). */
  llmText?(delta: string): void;
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

  async byText(text: string, options: SearchOptions & { mode?: TextSearchMode }): Promise<Hit[]> {
    checkOptions(options);
    if (text.trim() === "") throw new BadUserInputError("text is empty", { field: "text" });
    checkInstruction(text, "text");
    const mode = options.mode ?? "VECTOR";
    if (mode !== "VECTOR" && options.minScore !== undefined) {
      throw new BadUserInputError("minScore is a cosine similarity and applies to VECTOR searches only", { field: "filter.minScore" });
    }
    if (mode === "KEYWORD") return toHits(await this.deps.catalog.keywordMatches(text, options));
    return this.nearest(await this.deps.embedder.embedText(text), options, undefined, mode === "HYBRID" ? text : undefined);
  }

  /**
   * Many text searches in one call: the texts are embedded together (one model batch, by the
   * embedder's dynamic batching), then searched one by one; each answer is what byText gives alone.
   */
  async batch(queries: TextQuery[]): Promise<Hit[][]> {
    if (queries.length < 1 || queries.length > MAX_BATCH_QUERIES) {
      throw new BadUserInputError(`queries must hold 1 to ${MAX_BATCH_QUERIES} searches`, { field: "queries" });
    }
    queries.forEach((q, i) => {
      checkOptions(q);
      if (q.text.trim() === "") throw new BadUserInputError(`queries[${i}].text is empty`, { field: `queries.${i}.text` });
      checkInstruction(q.text, `queries.${i}.text`);
    });
    const vectors = await Promise.all(queries.map((q) => this.deps.embedder.embedText(q.text)));
    return Promise.all(queries.map((q, i) => this.nearest(vectors[i], q)));
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

  async composed(query: ComposedQuery, listener: ComposedListener = {}): Promise<ComposedResult> {
    checkOptions(query);
    checkInstruction(query.instruction, "instruction");
    if (query.imageWeight !== undefined && !(query.imageWeight >= 0 && query.imageWeight <= 1)) {
      throw new BadUserInputError("imageWeight must be between 0 and 1", { field: "imageWeight" });
    }
    const exclude = checkExclude(query);
    if (query.keywords !== undefined) {
      if (query.keywords.trim() === "") throw new BadUserInputError("keywords is empty", { field: "keywords" });
      checkInstruction(query.keywords, "keywords");
      if (query.minScore !== undefined) throw new BadUserInputError("minScore is a cosine similarity and does not apply with keywords", { field: "filter.minScore" });
    }
    const started = performance.now();
    const image = await this.queryImage(query);

    const embedStarted = performance.now();
    const [embedding, away] = await Promise.all([
      this.deps.embedder.embedComposed(image, query.instruction, { imageWeight: query.imageWeight }),
      Promise.all(exclude.map((text) => this.deps.embedder.embedText(text))),
    ]);
    if (away.length > 0) embedding.vector = moveAwayFrom(embedding.vector, away, query.excludeWeight ?? DEFAULT_EXCLUDE_WEIGHT);
    const embedMs = performance.now() - embedStarted;

    const searchStarted = performance.now();
    // A catalogue image used as the query is not an answer to it.
    const hits = await this.nearest(embedding.vector, query, query.imageId, query.keywords);
    const searchMs = performance.now() - searchStarted;
    listener.hits?.(hits);

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
    if (query.rerank) await this.rerankInto(result, image, listener.llmText);
    result.timings.totalMs = performance.now() - started;
    return result;
  }

  private async rerankInto(result: ComposedResult, queryImage: DecodedImage, onText?: (delta: string) => void): Promise<void> {
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
    }, { onText });
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

  /** Nearest by vector, or fused with a keyword search when keywords are given. */
  private async nearest(vector: Float32Array, options: SearchOptions, leaveOut?: string, keywords?: string): Promise<Hit[]> {
    const wanted = { limit: options.limit + (leaveOut ? 1 : 0), filter: options.filter };
    const found: VectorHit[] = keywords ? await this.deps.catalog.hybridNearest(vector, keywords, wanted) : await this.deps.catalog.nearest(vector, wanted);
    const kept = found.filter((h) => h.record.id !== leaveOut && (options.minScore === undefined || h.score >= options.minScore));
    return rank(kept.slice(0, options.limit).map((h) => ({ record: h.record, score: h.score, rank: 0 })));
  }

  /** A catalogue image decoded for use as a query or a panorama tile; its id is known, so it is not re-hashed. */
  private async decodeStored(record: ImageRecord): Promise<DecodedImage> {
    const bytes = await this.deps.images.readOriginal(record.storageKey);
    if (!bytes) throw new NotFoundError("Image file", record.id);
    return decodeImage(bytes, this.deps.limits, record.id);
  }
}

function toHits(found: VectorHit[]): Hit[] {
  return rank(found.map((h) => ({ record: h.record, score: h.score, rank: 0 })));
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

function checkExclude(query: ComposedQuery): string[] {
  const exclude = query.exclude ?? [];
  if (exclude.length > MAX_EXCLUDE_TERMS) throw new BadUserInputError(`exclude takes at most ${MAX_EXCLUDE_TERMS} terms`, { field: "exclude" });
  exclude.forEach((text, i) => {
    if (text.trim() === "") throw new BadUserInputError(`exclude[${i}] is empty`, { field: "exclude" });
    checkInstruction(text, "exclude");
  });
  if (query.excludeWeight !== undefined && !(query.excludeWeight >= 0 && query.excludeWeight <= 1)) {
    throw new BadUserInputError("excludeWeight must be between 0 and 1", { field: "excludeWeight" });
  }
  return exclude;
}

function checkInstruction(text: string, field: string): void {
  if (text.length > MAX_INSTRUCTION_CHARS) {
    throw new BadUserInputError(`${field} is ${text.length} characters; the limit is ${MAX_INSTRUCTION_CHARS}`, { field });
  }
}
