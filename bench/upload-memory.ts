// npm run bench:upload [-- --files N --mib M]: resident memory of the server while one ingestImages request
// uploads N files of M MiB each (default 100 × 19 MiB, under the default 20 MiB limit). The client runs in a
// child process and streams the files from disk, so only the server's memory is measured. Target: the
// request raises the server's resident memory by less than 300 MB (it held every upload in memory before).
import "reflect-metadata";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { createApp, GRAPHQL_PATH } from "../src/app.js";
import { arg, benchConfig, machine, writeJpegs } from "./bench-support.js";

const files = arg("files", 100);
const mib = arg("mib", 19);
console.log(`mmrag upload memory benchmark: one ingestImages request of ${files} × ${mib} MiB, ${machine()}`);

const { config, dataDir } = await benchConfig("vbge-tiny");
// One real JPEG padded to size: decoders take it, so the job is cheap and the request is what is measured.
const [jpeg] = await writeJpegs(path.join(dataDir, "source"), 1);
const upload = path.join(dataDir, "upload.jpg");
const bytes = await fs.readFile(jpeg);
await fs.writeFile(upload, Buffer.concat([bytes, Buffer.alloc(mib * 2 ** 20 - bytes.length)]));

const app = await createApp(config);
const url = `${await app.listen()}${GRAPHQL_PATH}`;

// The client: fetch with a FormData of blobs opened from disk (undici streams them).
const client = `
  import fs from "node:fs";
  const [url, file, count] = process.argv.slice(1);
  const form = new FormData();
  const n = Number(count);
  form.append("operations", JSON.stringify({ query: "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id total } }", variables: { files: Array(n).fill(null) } }));
  form.append("map", JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), ["variables.files." + i]]))));
  for (let i = 0; i < n; i++) form.append(String(i), await fs.openAsBlob(file), i + ".jpg");
  const res = await fetch(url, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  process.stdout.write(await res.text());
`;
async function ingestRequest(count: number): Promise<{ id: string }> {
  const answer = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", client, url, upload, String(count)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`client exited ${code}`))));
  });
  const result = JSON.parse(answer);
  if (result.errors) throw new Error(`ingestImages failed: ${JSON.stringify(result.errors)}`);
  return result.data.ingestImages;
}

// Warm-up: one small request first, so code loaded on first use is not counted as the request's memory.
const warmUp = await ingestRequest(1);
await app.services.ingest.wait(warmUp.id);
const baseline = process.memoryUsage().rss;
// The request's share ends when its job exists: from then on the job reads the spooled files (16 at once).
let requestPeak = baseline;
let peak = baseline;
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  peak = Math.max(peak, rss);
  // The single-process IngestService answers at once (no REDIS_URL in this benchmark).
  const recent = app.services.ingest.list(1);
  if (Array.isArray(recent) && recent[0]?.id === warmUp.id) requestPeak = Math.max(requestPeak, rss);
}, 20);
const started = performance.now();
const { id } = await ingestRequest(files);
const seconds = (performance.now() - started) / 1000;
const job = await app.services.ingest.wait(id);
clearInterval(sampler);

const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
console.log(`request: ${files} × ${mib} MiB in ${seconds.toFixed(1)} s; job ${job.status}, ${job.succeeded + job.skipped} of ${job.total} done`);
console.log(`server resident memory: baseline ${mb(baseline)}, growth while the request's uploads arrive ${mb(requestPeak - baseline)} (target < 300 MB); peak growth including the job that follows ${mb(peak - baseline)}`);
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });
