// Query embeddings remembered in a bounded LRU, so a repeated search (same image id = sha256 of its bytes,
// instruction, image weight, model) skips the model. Wraps the embedder the search service uses; ingest does not go
// through it, so a bulk load never evicts what users search for.
import type { DecodedImage } from "../image-decode.js";
import type { ComposedEmbedding, EmbeddingService, ModelInfo } from "./index.js";

export class QueryEmbeddingCache implements EmbeddingService {
  /** Promises, so concurrent identical queries share one model run. Map order is recency order. */
  private readonly entries = new Map<string, Promise<ComposedEmbedding>>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: EmbeddingService,
    readonly capacity: number,
  ) {}

  get info(): ModelInfo {
    return this.inner.info;
  }

  embedImage(image: DecodedImage): Promise<Float32Array> {
    return this.remember(`image\0${image.id}`, async () => ({ vector: await this.inner.embedImage(image), truncated: false, textTokens: 0 })).then((e) => e.vector);
  }

  embedText(text: string): Promise<Float32Array> {
    return this.remember(`text\0${text}`, async () => ({ vector: await this.inner.embedText(text), truncated: false, textTokens: 0 })).then((e) => e.vector);
  }

  embedComposed(image: DecodedImage, instruction: string, options: { imageWeight?: number } = {}): Promise<ComposedEmbedding> {
    const key = `composed\0${image.id}\0${options.imageWeight ?? "default"}\0${instruction}`;
    return this.remember(key, () => this.inner.embedComposed(image, instruction, options));
  }

  async close(): Promise<void> {
    this.entries.clear();
    await this.inner.close();
  }

  private async remember(key: string, compute: () => Promise<ComposedEmbedding>): Promise<ComposedEmbedding> {
    const fullKey = `${this.inner.info.name}\0${key}`;
    let entry = this.entries.get(fullKey);
    if (entry) {
      this.stats.hits++;
      this.entries.delete(fullKey); // re-insert: most recently used goes last
    } else {
      this.stats.misses++;
      entry = compute();
      // Failures (bad image, model down) are not remembered: the next call tries again.
      entry.catch(() => {
        if (this.entries.get(fullKey) === entry) this.entries.delete(fullKey);
      });
    }
    this.entries.set(fullKey, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    const result = await entry;
    // A copy: a caller that scales its vector must not change what the next caller gets.
    return { ...result, vector: result.vector.slice() };
  }
}

/** The embedder searches use: cached when `capacity` > 0. */
export function withQueryCache(embedder: EmbeddingService, capacity: number): EmbeddingService {
  return capacity > 0 ? new QueryEmbeddingCache(embedder, capacity) : embedder;
}
