// Authentication and authorisation in one object the transports share: who the caller is (an API key or,
// with keys off, anyone), what their role may run, their rate budget, and the signer for image URLs.
// With REDIS_URL, rate budgets and job owners live in Redis, so every API replica sees the same ones.
import { Redis } from "ioredis";
import { ForbiddenError, UnauthenticatedError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { JobRecords } from "../jobs/job-records.js";
import { KeyRing } from "./api-keys.js";
import { JobOwners } from "./job-owners.js";
import { RateLimits } from "./rate-limits.js";
import { storedSigningSecret } from "./signing-secret.js";
import { allows, requiredRole, type Role } from "./roles.js";
import { UrlSigner } from "./signed-urls.js";

export { ROLES, type Role } from "./roles.js";

export interface AccessConfig {
  /** Unset: authentication is off and every caller may do everything (loopback, or ALLOW_ANONYMOUS=true). */
  apiKeysFile?: string;
  rateLimitPerMinute: number;
  signedUrlTtlSeconds: number;
  urlSigningSecret?: string;
}

export interface Caller {
  /** The key's name; undefined when anonymous. */
  keyName?: string;
  /** undefined: no valid key where one is needed. */
  role?: Role;
  /** Why there is no role: no key sent, or a key the server does not know. */
  problem?: "missing" | "unknown";
  /** Whose budget a request spends: the key, or the address when anonymous; none for anonymous loopback callers. */
  rateKey?: string;
}

export class Access {
  readonly keys: KeyRing | undefined;
  readonly signer: UrlSigner | undefined;
  readonly rateLimits: RateLimits;
  readonly jobOwners: JobOwners;
  private readonly redis: Redis | undefined;

  /**
   * `redisUrl`: the REDIS_URL the ingest jobs use; unset keeps budgets and owners in this process. Without
   * URL_SIGNING_SECRET, the URL signing secret is the one stored in Redis or `dataDir` (signing-secret.ts).
   */
  static async open(config: AccessConfig, shared: { redisUrl?: string; logger?: Logger; dataDir: string }): Promise<Access> {
    const redis = shared.redisUrl ? connectAccessRedis(shared.redisUrl, shared.logger) : undefined;
    try {
      const keys = config.apiKeysFile ? new KeyRing(config.apiKeysFile) : undefined;
      const secret = keys && (config.urlSigningSecret ? Buffer.from(config.urlSigningSecret) : await storedSigningSecret({ dataDir: shared.dataDir, redis }));
      return new Access(config, { keys, signer: secret && new UrlSigner(secret, config.signedUrlTtlSeconds), redis, logger: shared.logger });
    } catch (err) {
      redis?.disconnect();
      throw err;
    }
  }

  private constructor(config: AccessConfig, parts: { keys?: KeyRing; signer?: UrlSigner; redis?: Redis; logger?: Logger }) {
    this.keys = parts.keys;
    this.signer = parts.signer;
    this.redis = parts.redis;
    this.rateLimits = new RateLimits(config.rateLimitPerMinute, this.redis);
    this.jobOwners = new JobOwners(this.redis && { records: new JobRecords(this.redis), logger: parts.logger });
  }

  close(): void {
    this.redis?.disconnect();
  }

  get enabled(): boolean {
    return this.keys !== undefined;
  }

  /** `authorization` is "Bearer <key>" (a bare key is accepted too, for graphql-ws connection params). */
  identify(authorization: string | undefined, address: string | undefined): Caller {
    const anonymous = `ip:${address ?? "unknown"}`;
    // Without keys, the person at this machine (CLI, benchmarks, the local web demo) is not rate-limited.
    if (!this.keys) return { role: "admin", rateKey: isLoopbackAddress(address) ? undefined : anonymous };
    const key = authorization?.replace(/^Bearer\s+/i, "").trim();
    if (!key) return { problem: "missing", rateKey: anonymous };
    const holder = this.keys.find(key);
    if (!holder) return { problem: "unknown", rateKey: anonymous };
    return { keyName: holder.name, role: holder.role, rateKey: `key:${holder.name}` };
  }

  /** Throws UNAUTHENTICATED without a valid key, FORBIDDEN when the key's role may not run `field`. */
  authorize(caller: Caller, operation: "query" | "mutation" | "subscription", field: string): void {
    const needed = requiredRole(operation, field);
    if (!caller.role) throw unauthenticated(caller);
    if (!allows(caller.role, needed)) throw new ForbiddenError(`${field} needs a ${needed} key; this key (${caller.keyName}) is ${caller.role}`);
  }

  /** True when the caller may act on jobs it did not start. */
  isAdmin(caller: Caller): boolean {
    return caller.role === "admin";
  }
}

/**
 * Unlike the job queue's connections, every request waits on this one: a command fails after one reconnect
 * attempt or 2 s instead of waiting for Redis to come back.
 */
function connectAccessRedis(url: string, logger: Logger | undefined): Redis {
  const redis = new Redis(url, { connectionName: "mmrag-access", maxRetriesPerRequest: 1, commandTimeout: 2000 });
  let reported = false;
  redis.on("error", (err) => {
    if (!reported) logger?.warn({ err: err.message }, "Redis unreachable: rate limits count per process until it is back");
    reported = true;
  });
  redis.on("ready", () => (reported = false));
  return redis;
}

export function unauthenticated(caller: Pick<Caller, "problem">): UnauthenticatedError {
  return new UnauthenticatedError(
    caller.problem === "unknown"
      ? "The API key is not valid (mistyped or revoked)"
      : "This server needs an API key: send Authorization: Bearer <key> (graphql-ws: connectionParams.authorization)",
  );
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.replace(/^::ffff:/i, "");
  return address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(v4);
}
