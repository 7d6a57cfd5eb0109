// npm run bench:seed -- --flag-embedding /path/to/FlagEmbedding/research/visual_bge [--python .venv/bin/python]
//     [--images DIR] [--count 48] [--queries 10] [--int8]
// mmrag against the seed's own pipeline, on the same checkpoint, the same images, the same machine, one run:
//   (a) the notebook's loop: FlagEmbedding's Visualized_BGE, encode(image=path) per file, encode(image, text) per query
//   (b) batched PyTorch: batches of 16, torch.inference_mode, threads = cores
//   (c) mmrag: ingestFolder end to end (hash, store, thumbnail, embed, Milvus insert), and searchComposed over HTTP
//   (d) with --int8: the same on models/visualized-bge/quantize.py's copy of the exported folder
// The checkpoint is Visualized-BGE's true architecture with seeded random weights (bench/seed/seed_model.py),
// exported into an mmrag folder by the project's export script: a speed comparison, never a quality one.
// Needs Python with torch, transformers, timm, einops, ftfy, pillow, onnx, onnxruntime (models/reference/README.md).
// The phases run one after another, so on a shared machine the load can swing between them: images per
// CPU-second (all threads of the process; Milvus Lite's own process not counted) is printed beside wall-clock
// images/s, and is the steadier comparison there. Not part of CI.
import "reflect-metadata";
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createApp, type App } from "../src/app.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";
import { decodeImage } from "../src/services/image-decode.js";
import { arg, benchConfigFor, machine, percentile, writeJpegs } from "./bench-support.js";

const run = promisify(execFile);
interface Side {
  imagesPerS: number;
  imagesPerCpuS: number;
  queryMsP50: number;
}
const option = (name: string, fallback?: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const flagEmbedding = option("flag-embedding");
if (!flagEmbedding) throw new Error("--flag-embedding <FlagEmbedding's research/visual_bge folder> is required");
const python = option("python", path.join(REPO_ROOT, ".venv", "bin", "python"))!;
const count = arg("count", 48);
const queries = arg("queries", 10);
const instruction = "phone case with this image theme";
const work = path.join(REPO_ROOT, ".cache", "seed-bench");
const threads = os.cpus().length;

async function python3(script: string, args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, [path.join(REPO_ROOT, "bench", "seed", script), ...args], { maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

console.log(`mmrag vs the seed's pipeline: ${machine()}, ${threads} threads each`);
const imagesDir = option("images") ?? path.join(REPO_ROOT, ".cache", "bench-images", `seed-1000x750-${count}`);
if (!option("images")) {
  await writeJpegs(imagesDir, count);
  console.log(`images: ${count} photo-like 1000×750 JPEGs (synthetic; pass --images DIR for a folder of real photographs)`);
}
const files = (await fs.readdir(imagesDir)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
const queryFile = path.join(imagesDir, files[0]);

console.log("checkpoint: building (first run only) and exporting with models/visualized-bge/export_onnx.py …");
const built = (await python3("seed_model.py", ["--flag-embedding", flagEmbedding, "--work", work])) as { bgeFolder: string; weights: string; modelFolder: string };

console.log(`(a) + (b): PyTorch on ${files.length} images, ${queries} composed queries …`);
const torchResult = (await python3("torch_seed.py", [
  "--flag-embedding", flagEmbedding, "--bge-folder", built.bgeFolder, "--weights", built.weights,
  "--images", imagesDir, "--query", queryFile, "--queries", String(queries), "--threads", String(threads), "--instruction", instruction,
])) as { notebook: Side; batched: Side; torch: string; minCosineNotebookVsBatched: number };

interface MmragSide {
  imagesPerS: number;
  imagesPerCpuS: number;
  queryMsP50: number;
  /** The parity fixtures' images, texts and image + text queries embedded, to compare precisions. */
  vectors: Record<"image" | "text" | "composed", Float32Array[]>;
}

const FIXTURES = path.join(REPO_ROOT, "tests", "parity", "fixtures");

/** Every parity fixture image alone and with an instruction, and every fixture text (odd formats, long texts, 5600 px). */
async function fixtureVectors(app: App): Promise<MmragSide["vectors"]> {
  const { embedder } = app.services;
  const texts = Object.values((JSON.parse(await fs.readFile(path.join(FIXTURES, "reference.json"), "utf8")) as { texts: Record<string, string> }).texts).filter((t) => t !== "");
  const out: MmragSide["vectors"] = { image: [], text: [], composed: [] };
  for (const name of (await fs.readdir(path.join(FIXTURES, "images"))).sort()) {
    const image = await decodeImage(await fs.readFile(path.join(FIXTURES, "images", name)), { maxPixels: 1e8 });
    out.image.push(await embedder.embedImage(image));
    out.composed.push((await embedder.embedComposed(image, instruction)).vector);
  }
  for (const text of texts) out.text.push(await embedder.embedText(text));
  return out;
}

/** mmrag on a model folder: ingestFolder end to end, then searchComposed over HTTP with the query cache off. */
async function measureMmrag(modelFolder: string): Promise<MmragSide> {
  const { config, dataDir } = await benchConfigFor(modelFolder, {
    INGEST_ROOTS: imagesDir,
    EMBED_QUERY_CACHE_SIZE: "0", // every query runs the model, as the notebook's does
  });
  const app = await createApp(config);
  try {
    const url = await app.listen();
    let started = performance.now();
    const cpu = process.cpuUsage();
    const job = await app.services.ingest.startFolder(imagesDir, { recursive: false });
    const final = await app.services.ingest.wait(job.id);
    const imagesPerS = final.succeeded / ((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    if (final.failed > 0) console.log(`  (${final.failed} files failed to ingest)`);

    const queryBytes = await fs.readFile(queryFile);
    await searchComposed(url, queryBytes); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < queries; i++) {
      started = performance.now();
      await searchComposed(url, queryBytes);
      ms.push(performance.now() - started);
    }
    return { imagesPerS, imagesPerCpuS: final.succeeded / ((used.user + used.system) / 1e6), queryMsP50: percentile([...ms].sort((x, y) => x - y), 50), vectors: await fixtureVectors(app) };
  } finally {
    await app.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

console.log("(c) mmrag: ingestFolder end to end, then searchComposed over HTTP …");
const mmrag = await measureMmrag(built.modelFolder);
let int8: MmragSide | undefined;
if (process.argv.includes("--int8")) {
  const int8Folder = `${built.modelFolder}-int8`;
  if (!(await fs.access(path.join(int8Folder, "model.json")).then(() => true, () => false))) {
    console.log("(d) quantising the exported folder with models/visualized-bge/quantize.py …");
    await run(python, [path.join(REPO_ROOT, "models", "visualized-bge", "quantize.py"), built.modelFolder, "--out", int8Folder], { maxBuffer: 1 << 24 });
  }
  console.log("(d) mmrag int8: the same …");
  int8 = await measureMmrag(int8Folder);
}

const { notebook, batched } = torchResult;
const f = (x: number) => x.toFixed(2);
const row = (side: { imagesPerS: number; imagesPerCpuS: number; queryMsP50: number }) => ({
  "images/s": f(side.imagesPerS),
  "images/CPU-s": f(side.imagesPerCpuS),
  "composed query p50 ms": side.queryMsP50.toFixed(0),
});
console.log(`
same checkpoint (random weights), ${files.length} images, torch ${torchResult.torch}, onnxruntime-node; PyTorch (a) vs (b) vectors agree to cosine ${torchResult.minCosineNotebookVsBatched.toFixed(6)}`);
console.table({
  "(a) notebook loop: encode(image=path) per file": row(notebook),
  "(b) PyTorch batched 16, inference_mode": row(batched),
  "(c) mmrag ingestFolder / searchComposed over HTTP": row(mmrag),
  ...(int8 ? { "(d) mmrag, int8 copy of the same folder": row(int8) } : {}),
});
for (const [label, side] of [["mmrag", mmrag], ["mmrag int8", int8]] as const) {
  if (!side) continue;
  console.log(`${label} ingest ÷ (a): ${f(side.imagesPerS / notebook.imagesPerS)}× wall-clock, ${f(side.imagesPerCpuS / notebook.imagesPerCpuS)}× per CPU-second (target ≥ 2)`);
  console.log(`${label} ingest ÷ (b): ${f(side.imagesPerS / batched.imagesPerS)}× wall-clock, ${f(side.imagesPerCpuS / batched.imagesPerCpuS)}× per CPU-second (target ≥ 1.3)`);
  console.log(`${label} searchComposed p50 ÷ notebook encode + search p50: ${f(side.queryMsP50 / notebook.queryMsP50)} (target ≤ 0.5; rerank off, query cache off; the notebook's search is numpy over ${files.length} vectors)`);
}
if (int8) {
  const cosines = (mode: keyof MmragSide["vectors"]) => int8.vectors[mode].map((v, i) => v.reduce((sum, x, j) => sum + x * mmrag.vectors[mode][i][j], 0));
  const summary = (["image", "text", "composed"] as const).map((mode) => {
    const c = cosines(mode).sort((x, y) => x - y);
    return `${mode} min ${c[0].toFixed(5)}, median ${percentile(c, 50).toFixed(5)} (${c.length})`;
  });
  console.log(`int8 vs fp32 on the parity fixtures (tests/parity/fixtures), full-size true-architecture checkpoint: ${summary.join("; ")}`);
  console.log("(random weights understate the activation outliers of trained weights: measure on the real checkpoint before relying on int8)");
}

async function searchComposed(base: string, image: Buffer): Promise<void> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: "mutation($image: Upload, $instruction: String!) { searchComposed(image: $image, instruction: $instruction, limit: 9, rerank: false) { hits { score image { id } } } }",
      variables: { image: null, instruction },
    }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.image"] }));
  form.append("0", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "query.jpg");
  const res = await fetch(`${base}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  const body = (await res.json()) as { errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(body.errors[0].message);
}
