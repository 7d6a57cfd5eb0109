// Dynamic batching: concurrent requests queue up and go to the model together, up to `maxBatch` per run.
// A batch leaves when it is full, when the first request has waited `maxWaitMs`, or as soon as the
// previous run ends (requests that queued during a run have already waited long enough).

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
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
    const batch = this.queue.splice(0, this.options.maxBatch);
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

  /** Stops taking requests and waits for the queued ones to finish. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length > 0) {
      if (!this.running) this.flush();
      await this.running;
    }
  }
}
