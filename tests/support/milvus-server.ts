// A Milvus process that mmrag does not supervise: the Milvus Lite binary started on its own loopback
// port, as an operator would run a Milvus server. mmrag reaches it only through MILVUS_URI.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { openMilvusClient } from "../../src/services/milvus/milvus-client.js";
import { afterAll } from "vitest";
import { tempDir } from "./server.js";

export interface MilvusServer {
  uri: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const running: MilvusServer[] = [];
afterAll(async () => {
  while (running.length > 0) await running.pop()!.stop();
});

export async function startMilvusServer(): Promise<MilvusServer> {
  const { binPath, libDir } = createRequire(import.meta.url)("@lyyyuna/milvus-lite-linux-x64") as { binPath: string; libDir: string };
  const dir = await tempDir("mmrag-milvus-server-");
  const port = await getPort({ host: "127.0.0.1" });
  const child = spawn(binPath, [path.join(dir, "server.db"), `127.0.0.1:${port}`, "ERROR"], {
    env: { ...process.env, LD_LIBRARY_PATH: libDir, GLOG_log_dir: dir },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: MilvusServer = {
    uri: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        if ((await Promise.race([exited.then(() => "exited"), sleep(5000)])) !== "exited") child.kill("SIGKILL");
        await exited;
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
  running.push(server);
  const client = openMilvusClient({ address: `127.0.0.1:${port}`, timeout: 2000, logLevel: "error" });
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      if (child.exitCode !== null) throw new Error(`Milvus exited during start-up: ${stderr}`);
      const ok = await client.listCollections().then((r) => r.status?.code === 0, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`Milvus did not answer on port ${port}: ${stderr}`);
      await sleep(100);
    }
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
  return server;
}
