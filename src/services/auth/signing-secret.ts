// Without URL_SIGNING_SECRET, the secret that signs image URLs is drawn once and kept where every process
// serving those URLs finds it: in Redis with REDIS_URL (replicas behind one load balancer must agree, or an
// <img> signed by one is refused by the next), else in DATA_DIR (URLs handed out survive a restart).
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import { UpstreamUnavailableError } from "../../errors.js";
import { PREFIX } from "../jobs/redis.js";

const REDIS_KEY = `${PREFIX}:url-signing-secret`;
const FILE = "url-signing.secret";

export async function storedSigningSecret(options: { dataDir: string; redis?: Redis }): Promise<Buffer> {
  const fresh = randomBytes(32).toString("base64url");
  if (options.redis) {
    try {
      // The first process to ask draws it; the others read the same one.
      await options.redis.set(REDIS_KEY, fresh, "NX");
      return Buffer.from((await options.redis.get(REDIS_KEY))!);
    } catch (err) {
      throw new UpstreamUnavailableError("redis", `Redis did not answer while reading the URL signing secret (${(err as Error).message}); set URL_SIGNING_SECRET or bring Redis up`);
    }
  }
  const file = path.join(options.dataDir, FILE);
  await fs.mkdir(options.dataDir, { recursive: true });
  // Written whole beside it, then linked into place: a process starting at the same moment reads a complete
  // secret or makes the link itself, never half a file.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await fs.writeFile(temp, fresh, { mode: 0o600 });
  try {
    await fs.link(temp, file);
    return Buffer.from(fresh);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return Buffer.from((await fs.readFile(file, "utf8")).trim());
  } finally {
    await fs.rm(temp, { force: true });
  }
}
