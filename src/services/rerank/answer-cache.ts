// Bounded LRU of rerank answers. The key includes the query image's hash: the seed's cache keyed on
// the instruction alone and answered a new image with an old ranking.
import { createHash } from "node:crypto";

export interface CacheKeyParts {
  queryImageHash: string;
  instruction: string;
  candidateIds: string[];
  model: string;
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash("sha256").update(JSON.stringify([parts.queryImageHash, parts.instruction, parts.candidateIds, parts.model])).digest("hex");
}

export class AnswerCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: T): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
