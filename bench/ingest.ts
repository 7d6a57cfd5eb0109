// npm run bench:ingest [-- --images N]: end-to-end ingest throughput of a folder of real-size JPEGs on the
// full-size generated Visualized-BGE model, beside the embedding-only throughput of the same model and
// files in the same run, with resident memory sampled throughout. Random weights: speed only, not quality.
import "reflect-metadata";
import fs from "node:fs/promises";
import path from "node:path";
import { createApp } from "../src/app.js";
import { decodeImage } from "../src/services/image-decode.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";
import { arg, benchConfig, machine, mapConcurrent, writeJpegs } from "./bench-support.js";

const images = arg("images", 300);
const kind = process.argv.includes("--tiny") ? "vbge-tiny" : "vbge-full";
const folder = path.join(REPO_ROOT, ".cache", "bench-images", "1000x750");

console.log(`mmrag ingest benchmark: ${images} JPEGs of 1000×750, model ${kind} (random weights), ${machine()}`);
const files = await writeJpegs(folder, images);
const { config, dataDir } = await benchConfig(kind, { INGEST_ROOTS: folder });
const app = await createApp(config);
const { embedder, ingest } = app.services;
const concurrency = config.ingest.concurrency;

// Warm-up: load the sessions and let the allocator settle.
// "Embedding only" = read, the one decode, the model: what ingest cannot do without.
const embedFile = async (f: string) => embedder.embedImage(await decodeImage(await fs.readFile(f), { maxPixels: config.images.maxPixels }));
await mapConcurrent(files.slice(0, 8), concurrency, embedFile);

let started = performance.now();
await mapConcurrent(files, concurrency, embedFile);
const embedOnly = files.length / ((performance.now() - started) / 1000);

const rss: number[] = [];
const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 500);
started = performance.now();
const job = await ingest.startFolder(folder, { recursive: false });
const final = await ingest.wait(job.id);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const endToEnd = final.succeeded / seconds;

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const quarter = Math.max(1, Math.floor(rss.length / 4));
const early = Math.max(...rss.slice(0, quarter));
const late = Math.max(...rss.slice(-quarter));
console.table({
  "embedding only (read + decode + preprocess + embed)": { "images/s": embedOnly.toFixed(2) },
  "ingest end to end (+ hash, store, thumbnail, Milvus insert)": { "images/s": endToEnd.toFixed(2) },
});
console.log(`ingest / embedding-only: ${(endToEnd / embedOnly).toFixed(3)}× (target ≥ 0.97×)`);
console.log(`job: ${final.status}, ${final.succeeded} added, ${final.failed} failed, ${seconds.toFixed(1)} s`);
console.log(`resident memory during ingest: first quarter max ${mib(early)} MiB, last quarter max ${mib(late)} MiB, overall max ${mib(Math.max(...rss))} MiB`);
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });
