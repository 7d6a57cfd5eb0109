// Dynamic batching: concurrent requests queue up and go to the model together, up to `maxBatch` per run
// and, where items have a size in tokens, up to `maxTokens` padded tokens per run (rows × the longest row).
// A batch leaves when it is full, when the first request has waited `maxWaitMs`, or as soon as the
// previous run ends (requests that queued during a run have already waited long enough).

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  /**
   * Padded tokens per run. Short text rows gain a lot from sharing a run; long image rows gain little on a small
   * machine, and a query queued behind them waits for the whole run (models/README.md, "int8 models").
   */
  maxTokens?: number;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class DynamicBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** Model runs and items embedded so far (tests and logs read them). */
  readonly stats = { runs: 0, items: 0, largestBatch: 0 };
  /** Told of every model run (metrics): its size, its time and its error if it failed. */
  onRun?: (size: number, seconds: number, error: unknown) => void;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
    /** An item's length in tokens, for `maxTokens`; without it only `maxBatch` counts. */
    private readonly tokens?: (item: I) => number,
  ) {}

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error("The embedding model has been closed"));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running) return; // flushed when the current run ends
      if (this.queue.length >= this.options.maxBatch || this.options.maxWaitMs === 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.fitting());
    this.stats.runs++;
    this.stats.items += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    this.running = this.runBatch(batch.map((p) => p.item))
      .then(
        (results) => {
          this.onRun?.(batch.length, seconds(), undefined);
          batch.forEach((p, i) => p.resolve(results[i]));
        },
        (error) => {
          this.onRun?.(batch.length, seconds(), error);
          batch.forEach((p) => p.reject(error));
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.queue.length > 0) this.flush();
      });
  }

  /** How many queued items the next run takes: at least one, at most `maxBatch`, within `maxTokens`. */
  private fitting(): number {
    const { maxBatch, maxTokens } = this.options;
    const limit = Math.min(maxBatch, this.queue.length);
    if (!this.tokens || !maxTokens) return limit;
    let longest = 0;
    let n = 0;
    while (n < limit) {
      const next = Math.max(longest, this.tokens(this.queue[n].item));
      if (n > 0 && (n + 1) * next > maxTokens) break;
      longest = next;
      n++;
    }
    return n;
  }

  /** Stops taking requests and waits for the queued ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.flush();
      await this.running;
    }
  }
}
