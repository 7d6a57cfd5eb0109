// Collects prepared rows from many concurrent items into few Milvus writes: a batch goes out when it is
// full or has waited maxWaitMs, and each item learns whether its own row landed.
import type { PreparedRow } from "../catalog.service.js";

export class BatchWriter {
  private rows: PreparedRow[] = [];
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (rows: PreparedRow[]) => Promise<void>,
    private readonly options: { maxRows: number; maxWaitMs: number },
  ) {}

  add(row: PreparedRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.rows.push(row);
      this.waiters.push({ resolve, reject });
      if (this.rows.length >= this.options.maxRows) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.maxWaitMs);
    });
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.rows.length === 0) return;
    const rows = this.rows;
    const waiters = this.waiters;
    this.rows = [];
    this.waiters = [];
    try {
      await this.write(rows);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }
}
