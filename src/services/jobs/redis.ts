// Connections to Redis (REDIS_URL). BullMQ wants its blocking connections to retry forever rather than
// fail a command after a few reconnects; a subscriber needs a connection of its own.
import { Redis } from "ioredis";
import type { Logger } from "../../logger.js";

export function connectRedis(url: string, purpose: string, logger?: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: `mmrag-${purpose}` });
  // ioredis reconnects by itself; without a listener each failed attempt would be an "unhandled error".
  let reported = false;
  redis.on("error", (err) => {
    if (!reported) logger?.warn({ err: err.message, purpose }, "Redis connection failed; retrying");
    reported = true;
  });
  redis.on("ready", () => (reported = false));
  return redis;
}

/** Key prefix of everything mmrag keeps in Redis, so one Redis can serve other things too. */
export const PREFIX = "mmrag";
