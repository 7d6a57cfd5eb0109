// Debian's redis-server on a free loopback port, no persistence, stopped after the file's tests.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { tempDir } from "./server.js";

export interface RedisServer {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const running: RedisServer[] = [];
afterAll(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

export async function startRedisServer(): Promise<RedisServer> {
  const dir = await tempDir("mmrag-redis-");
  const port = await getPort({ host: "127.0.0.1" });
  const child = spawn(process.env.REDIS_SERVER ?? "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding("utf8").on("data", (chunk: string) => (output = (output + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (err) => (output += String(err)));
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  running.push(server);
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    for (const deadline = Date.now() + 20_000; ; ) {
      if (child.exitCode !== null) throw new Error(`redis-server exited during start-up (is Debian's redis-server installed?): ${output}`);
      const ok = await client.connect().then(() => client.ping(), () => undefined);
      if (ok === "PONG") break;
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}: ${output}`);
      await sleep(50);
    }
  } finally {
    client.disconnect();
  }
  return server;
}
