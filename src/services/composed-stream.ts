// A composed search as a stream of events: the vector hits at once, the LLM's ranking as soon as its
// list is complete, its explanation as it arrives, then the final result (the authority: when the LLM
// fails mid-stream it carries the vector order and rerankError).
import { readPartialAnswer } from "./rerank/partial-answer.js";
import { repairOrder } from "./rerank/parse-answer.js";
import type { ComposedQuery, ComposedResult, Hit, SearchService } from "./search.service.js";

export type ComposedEvent =
  | { kind: "HITS"; hits: Hit[] }
  | { kind: "RANKING"; ranking: Hit[] }
  | { kind: "EXPLANATION"; delta: string }
  | { kind: "RESULT"; result: ComposedResult };

export function streamComposed(search: Pick<SearchService, "composed">, query: ComposedQuery): AsyncIterableIterator<ComposedEvent> {
  const queue = new EventQueue<ComposedEvent>();
  let hits: Hit[] = [];
  let content = "";
  let rankingSent = false;
  let explained = "";

  const onText = (delta: string) => {
    content += delta;
    const partial = readPartialAnswer(content);
    if (!rankingSent && partial.indices) {
      const { order, appended } = repairOrder(partial.indices, hits.length);
      // A list naming no candidate is no ranking; the final result will say why.
      if (appended.length < hits.length) {
        rankingSent = true;
        queue.push({ kind: "RANKING", ranking: order.map((i, rank) => ({ ...hits[i], rank: rank + 1 })) });
      }
    }
    if (partial.explanation.length > explained.length && partial.explanation.startsWith(explained)) {
      queue.push({ kind: "EXPLANATION", delta: partial.explanation.slice(explained.length) });
      explained = partial.explanation;
    }
  };

  search
    .composed(query, {
      hits: (found) => {
        hits = found;
        queue.push({ kind: "HITS", hits: found });
      },
      llmText: onText,
    })
    .then(
      (result) => queue.end({ kind: "RESULT", result }),
      (err: unknown) => queue.fail(err),
    );
  return queue;
}

/** A push queue read as an async iterator; a consumer that stops early just stops being fed. */
class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting?: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void };
  private done = false;
  private error: unknown;

  push(item: T): void {
    if (this.done) return;
    if (this.waiting) {
      this.waiting.resolve({ value: item, done: false });
      this.waiting = undefined;
    } else this.items.push(item);
  }

  end(last: T): void {
    this.push(last);
    this.finish();
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.error = err ?? new Error("stream failed");
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (!this.waiting) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (this.error) waiting.reject(this.error);
    else waiting.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.error) {
      const err = this.error;
      this.error = undefined;
      return Promise.reject(err);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.items.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
