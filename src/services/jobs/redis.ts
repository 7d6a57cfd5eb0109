// Connections to Redis (REDIS_URL). BullMQ wants its blocking connections to retry forever rather than
// fail a command after a few reconnects; a subscriber needs a connection of its own.
import { Redis } from "ioredis";

export function connectRedis(url: string, purpose: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: `mmrag-${purpose}`, lazyConnect: false });
}

/** Key prefix of everything mmrag keeps in Redis, so one Redis can serve other things too. */
export const PREFIX = "mmrag";
