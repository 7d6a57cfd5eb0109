// Per-caller budgets of points per minute (a key's name, or the address when anonymous); heavier operations
// spend more points. rate-limiter-flexible keeps the counters: in this process, or with REDIS_URL in Redis,
// so every API replica spends from the same budget.
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { RateLimitedError } from "../../errors.js";
import { PREFIX } from "../jobs/redis.js";

export class RateLimits {
  private readonly limiter: RateLimiterAbstract | undefined;

  /** perMinute 0 turns limits off; with `redis`, the budget is shared by every process using that Redis. */
  constructor(perMinute: number, redis?: Redis) {
    if (perMinute <= 0) return;
    const local = new RateLimiterMemory({ points: perMinute, duration: 60 });
    this.limiter = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `${PREFIX}:rate`,
          points: perMinute,
          duration: 60,
          // Redis unreachable: count in this process instead (each replica then allows a full budget) rather
          // than refuse every request. Searches and reads do not need Redis, so a Redis outage should not stop
          // them; the overshoot is bounded (replicas × budget) and lasts only as long as the outage.
          rejectIfRedisNotReady: true,
          insuranceLimiter: local,
        })
      : local;
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
