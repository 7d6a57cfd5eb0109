// Per-caller budgets of points per minute (a key's name, or the address when anonymous); heavier operations
// spend more points. rate-limiter-flexible keeps the counters; its Redis store can share them between
// instances later without changing callers.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { RateLimitedError } from "../../errors.js";

export class RateLimits {
  private readonly limiter: RateLimiterMemory | undefined;

  /** perMinute 0 turns limits off. */
  constructor(perMinute: number) {
    this.limiter = perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined;
  }

  /** Spends `points` of `caller`'s budget, or throws RATE_LIMITED with the seconds until enough are back. */
  async spend(caller: string | undefined, points: number): Promise<void> {
    if (!this.limiter || !caller || points <= 0) return;
    try {
      await this.limiter.consume(caller, points);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }
}
