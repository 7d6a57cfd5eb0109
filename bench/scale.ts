// npm run bench:scale [-- --images N --tiny]: ingest throughput with 1 and then 2 worker processes
// (MMRAG_ROLE=worker) behind one API process, all sharing Redis (Debian's redis-server), a Milvus server
// (the Milvus Lite binary on its own port) and one image folder, with the API's search p50 sampled while
// the workers ingest. Random-weight model: speed only, not quality. Figures, not targets.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { ensureGeneratedModelIn } from "../src/model-tooling/generate/index.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";
import { arg, BENCH_MODELS_DIR, machine, percentile, writeJpegs } from "./bench-support.js";

const images = arg("images", 60);
const kind = process.argv.includes("--tiny") ? "vbge-tiny" : "vbge-full";
const folder = path.join(REPO_ROOT, ".cache", "bench-images", "1000x750");
const children: ChildProcess[] = [];
const killAll = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
process.once("SIGINT", () => (killAll(), process.exit(130)));
process.once("SIGTERM", () => (killAll(), process.exit(143)));
const say = (message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

function start(command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd: REPO_ROOT });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = output.match(ready);
      if (match) resolve({ child, match });
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}):\n${output}`)));
  });
}

async function graphql(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

async function run(workers: number, shared: NodeJS.ProcessEnv): Promise<{ perSecond: number; seconds: number; p50: number; p95: number; queries: number }> {
  const mmrag = (role: string) => start(process.execPath, ["--import", "tsx", "src/main.ts"], { ...shared, MMRAG_ROLE: role }, /is ready: (http:\/\/[^\s/"]+)/);
  say(`${workers} worker(s): starting the API and the workers`);
  const api = await mmrag("api");
  const url = api.match[1];
  const started = await Promise.all(Array.from({ length: workers }, () => mmrag("worker")));
  const job = (await graphql(url, `mutation($p: String!) { ingestFolder(path: $p, recursive: false) { id } }`, { p: shared.INGEST_ROOTS })).data.ingestFolder;
  say(`job ${job.id} queued`);
  const begin = performance.now();
  const latencies: number[] = [];
  let status = "QUEUED";
  while (status === "QUEUED" || status === "RUNNING") {
    const t = performance.now();
    await graphql(url, `{ search(text: "a red shoe", limit: 10) { score } }`);
    latencies.push(performance.now() - t);
    const state = (await graphql(url, `query($id: ID!) { ingestJob(id: $id) { status processed } }`, { id: job.id })).data.ingestJob;
    if (latencies.length % 25 === 0) say(`${state.status}: ${state.processed} processed`);
    status = (await graphql(url, `query($id: ID!) { ingestJob(id: $id) { status } }`, { id: job.id })).data.ingestJob.status;
    await sleep(200);
  }
  const seconds = (performance.now() - begin) / 1000;
  const final = (await graphql(url, `query($id: ID!) { ingestJob(id: $id) { status succeeded failed errors { item code message } } }`, { id: job.id })).data.ingestJob;
  if (final.status !== "SUCCEEDED") throw new Error(`job ended ${JSON.stringify(final)}`);
  for (const p of [api, ...started]) p.child.kill("SIGTERM");
  await Promise.all([api, ...started].map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once("exit", r)))));
  latencies.sort((a, b) => a - b);
  return { perSecond: final.succeeded / seconds, seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), queries: latencies.length };
}

console.log(`mmrag scale benchmark: ${images} JPEGs of 1000×750, model ${kind} (random weights), ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mmrag-bench-scale-"));
try {
  await writeJpegs(folder, images);
  // Only the first `images` files: the folder may hold more from a larger earlier run.
  const only = path.join(dir, "images");
  await fs.mkdir(only);
  for (const f of (await fs.readdir(folder)).sort().slice(0, images)) await fs.copyFile(path.join(folder, f), path.join(only, f));
  const modelDir = await ensureGeneratedModelIn(BENCH_MODELS_DIR, kind);
  const redisPort = await getPort({ host: "127.0.0.1" });
  await start("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {}, /Ready to accept connections/);
  const { binPath, libDir } = createRequire(import.meta.url)("@lyyyuna/milvus-lite-linux-x64") as { binPath: string; libDir: string };
  const milvusPort = await getPort({ host: "127.0.0.1" });
  const milvus = spawn(binPath, [path.join(dir, "milvus.db"), `127.0.0.1:${milvusPort}`, "ERROR"], { env: { ...process.env, LD_LIBRARY_PATH: libDir }, stdio: "ignore" });
  children.push(milvus);
  await sleep(3000);
  const results: Record<string, Record<string, string>> = {};
  for (const workers of [1, 2]) {
    const r = await run(workers, {
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      PORT: "0",
      // One data folder for all processes: the shared image storage (a volume here; S3 in production).
      DATA_DIR: path.join(dir, `data-${workers}`),
      MODELS_DIR: path.dirname(modelDir),
      MODEL: path.basename(modelDir),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      MILVUS_URI: `http://127.0.0.1:${milvusPort}`,
      MILVUS_COLLECTION: `bench_scale_${workers}_${Date.now()}`,
      INGEST_ROOTS: only,
    });
    results[`${workers} worker process${workers > 1 ? "es" : ""}`] = {
      "images/s": r.perSecond.toFixed(2),
      "job seconds": r.seconds.toFixed(1),
      "API search p50 ms (during ingest)": r.p50.toFixed(0),
      "API search p95 ms": r.p95.toFixed(0),
      "queries sampled": String(r.queries),
    };
  }
  console.table(results);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await fs.rm(dir, { recursive: true, force: true });
}
