// npm run bench:search [-- --sizes 10000,100000 --queries 40 --kind vbge-full|clip-full]: searchComposed latency (rerank off) through the
// real GraphQL API beside embedding alone and Milvus search alone, measured in the same run; FLAT against
// IVF_FLAT (latency and recall@9); queries/s with 8 concurrent clients against 1; and a repeated query
// answered from the query-embedding cache (IVF_FLAT). The first figures run with the cache off, so every
// query runs the model.
// Vectors are inserted directly (random unit vectors); the model is the full-size generated Visualized-BGE
// (random weights): these are speed figures, not retrieval quality.
import "reflect-metadata";
import fs from "node:fs/promises";
import path from "node:path";
import { createApp, type App } from "../src/app.js";
import type { Config } from "../src/config.js";
import { decodeImage } from "../src/services/image-decode.js";
import { GENERATED_KINDS, type GeneratedKind } from "../src/model-tooling/generate/index.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";
import { arg, benchConfig, machine, percentile, writeJpegs } from "./bench-support.js";

const sizes = (process.argv.includes("--sizes") ? process.argv[process.argv.indexOf("--sizes") + 1] : "10000,100000").split(",").map(Number);
const queries = arg("queries", 40);
// --kind clip-full measures the CLIP layout, whose towers gain from batching on small machines.
const kindArg = process.argv.includes("--kind") ? process.argv[process.argv.indexOf("--kind") + 1] : undefined;
const kind = (kindArg ?? (process.argv.includes("--tiny") ? "vbge-tiny" : "vbge-full")) as GeneratedKind;
if (!GENERATED_KINDS.includes(kind)) throw new Error(`--kind must be one of ${GENERATED_KINDS.join(", ")}`);
const instruction = "phone case with this image theme";
const LIMIT = 9;

console.log(`mmrag search benchmark: model ${kind} (random weights), ${queries} queries per figure, ${machine()}`);
const [queryFile] = await writeJpegs(path.join(REPO_ROOT, ".cache", "bench-images", "1000x750"), 1);
const queryImage = await fs.readFile(queryFile);

const { config, dataDir } = await benchConfig(kind, { MILVUS_INDEX: "FLAT", EMBED_QUERY_CACHE_SIZE: "0" });
let app = await createApp(config);
let url = await app.listen();
const dim = app.services.embedder.info.dimension;
const vectors = randomUnitVectors(Math.max(...sizes), dim);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95) };
};
const fmt = (x: number) => x.toFixed(1);

let inserted = 0;
for (const size of sizes) {
  await insertUpTo(app, size);
  const embedMs: number[] = [];
  const searchMs: number[] = [];
  const apiMs: number[] = [];
  // Per request: round trip − the server's own embed and search times = what the API adds (HTTP, multipart,
  // decode, GraphQL). Taken per request, so noise in embedding time does not leak into it.
  const overheadMs: number[] = [];
  const outsideMs: number[] = [];
  for (let i = 0; i < 3; i++) await searchComposed(url); // warm-up
  for (let i = 0; i < queries; i++) {
    let t = performance.now();
    const { vector } = await app.services.embedder.embedComposed(await decodeImage(queryImage, { maxPixels: app.config.images.maxPixels }), instruction);
    embedMs.push(performance.now() - t);
    t = performance.now();
    await app.services.catalog.nearest(vector, { limit: LIMIT });
    searchMs.push(performance.now() - t);
    t = performance.now();
    const timings = await searchComposed(url);
    const roundTrip = performance.now() - t;
    apiMs.push(roundTrip);
    overheadMs.push(roundTrip - timings.embedMs - timings.searchMs);
    outsideMs.push(roundTrip - timings.totalMs);
  }
  const e = stats(embedMs);
  const s = stats(searchMs);
  const a = stats(apiMs);
  console.log(`\n${size.toLocaleString("en")} images × ${dim} dims, FLAT, limit ${LIMIT}`);
  console.table({
    "embedComposed alone": { "p50 ms": fmt(e.p50), "p95 ms": fmt(e.p95) },
    "Milvus search alone": { "p50 ms": fmt(s.p50), "p95 ms": fmt(s.p95) },
    "searchComposed over HTTP (rerank: false)": { "p50 ms": fmt(a.p50), "p95 ms": fmt(a.p95) },
  });
  const o = stats(overheadMs);
  const out = stats(outsideMs);
  console.log(
    `API overhead per request (round trip − server embedMs − searchMs): p50 ${fmt(o.p50)} ms, p95 ${fmt(o.p95)} ms (target ≤ 15 ms); ` +
      `of which outside the resolver (HTTP, multipart, GraphQL): p50 ${fmt(out.p50)} ms`,
  );
}

// Dynamic batching pays off when requests overlap.
const perClient = Math.max(4, Math.floor(queries / 4));
const one = await throughput(url, 1, perClient * 2);
const eight = await throughput(url, 8, perClient);
console.log(`\nsearchComposed (rerank: false) queries/s: 1 client ${one.toFixed(2)}, 8 clients ${eight.toFixed(2)} (${(eight / one).toFixed(2)}×)`);

// IVF_FLAT on the largest size, in its own collection, against exact results.
const largest = Math.max(...sizes);
await app.close();
const ivfConfig: Config = {
  ...config,
  model: { ...config.model, queryCacheSize: 256 },
  milvus: { ...config.milvus, collection: "bench_ivf", index: { ...config.milvus.index, type: "IVF_FLAT" } },
};
app = await createApp(ivfConfig);
url = await app.listen();
inserted = 0;
await insertUpTo(app, largest);
const probes = randomQueries(vectors.slice(0, largest), 30);
const ivfMs: number[] = [];
let recall = 0;
for (const q of probes) {
  const t = performance.now();
  const hits = await app.services.catalog.nearest(q, { limit: LIMIT });
  ivfMs.push(performance.now() - t);
  const exact = new Set(exactTopK(vectors.slice(0, largest), q, LIMIT));
  recall += hits.filter((h) => exact.has(parseInt(h.record.id.slice(-12), 16))).length / LIMIT;
}
const ivf = stats(ivfMs);
console.log(
  `\nIVF_FLAT (nlist ${config.milvus.index.nlist}, nprobe ${config.milvus.index.nprobe}) at ${largest.toLocaleString("en")}: search p50 ${fmt(ivf.p50)} ms, p95 ${fmt(ivf.p95)} ms, recall@${LIMIT} ${(recall / probes.length).toFixed(3)} against exact search` +
    "\n(random vectors have no cluster structure, which is IVF's worst case; real embeddings cluster, so expect better recall there)",
);
// The same query again: its embedding comes from the query cache (the first call fills it).
await searchComposed(url);
const repeatMs: number[] = [];
for (let i = 0; i < queries; i++) {
  const t = performance.now();
  await searchComposed(url);
  repeatMs.push(performance.now() - t);
}
const repeat = stats(repeatMs);
console.log(`repeated searchComposed over HTTP (query-embedding cache hit, IVF_FLAT, ${largest.toLocaleString("en")}): p50 ${fmt(repeat.p50)} ms, p95 ${fmt(repeat.p95)} ms (target p50 ≤ 20 ms)`);
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });

async function insertUpTo(target: App, size: number): Promise<void> {
  const started = performance.now();
  for (; inserted < size; inserted += 2000) {
    const rows = [];
    for (let i = inserted; i < Math.min(size, inserted + 2000); i++) {
      rows.push({
        id: idFor(i),
        storageKey: "originals/bench",
        width: 1000,
        height: 750,
        format: "jpeg",
        bytes: 0,
        metadata: { n: i },
        createdAt: new Date(),
        vector: vectors[i],
      });
    }
    await target.services.catalogues.default.collection.upsert(rows);
  }
  console.log(`(inserted up to ${size.toLocaleString("en")} vectors in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

interface Timings {
  embedMs: number;
  searchMs: number;
  totalMs: number;
}

async function searchComposed(base: string): Promise<Timings> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: `mutation($image: Upload, $instruction: String!) { searchComposed(image: $image, instruction: $instruction, limit: ${LIMIT}, rerank: false) { hits { score image { id } } timings { embedMs searchMs totalMs } } }`,
      variables: { image: null, instruction },
    }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.image"] }));
  form.append("0", new Blob([new Uint8Array(queryImage)], { type: "image/jpeg" }), "query.jpg");
  const res = await fetch(`${base}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  const body = (await res.json()) as { errors?: Array<{ message: string }>; data: { searchComposed: { timings: Timings } } };
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data.searchComposed.timings;
}

async function throughput(base: string, clients: number, perClient: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = 0; i < perClient; i++) await searchComposed(base);
  }));
  return (clients * perClient) / ((performance.now() - started) / 1000);
}

function idFor(i: number): string {
  return i.toString(16).padStart(64, "0");
}

function randomUnitVectors(count: number, d: number): Float32Array[] {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  return Array.from({ length: count }, () => normalise(Float32Array.from({ length: d }, rand)));
}

function randomQueries(pool: Float32Array[], count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => {
    const base = pool[(i * 7919) % pool.length];
    return normalise(base.map((v) => v + (Math.random() - 0.5) * 0.05));
  });
}

function normalise(v: Float32Array): Float32Array {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function exactTopK(pool: Float32Array[], q: Float32Array, k: number): number[] {
  const scores = pool.map((v, i) => {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j] * q[j];
    return [dot, i] as const;
  });
  return scores.sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i);
}
