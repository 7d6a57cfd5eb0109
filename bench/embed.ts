// `npm run bench:embed [-- --quick] [-- --family vbge|clip] [-- --int8] [-- --batches 1,8]`: embedding throughput
// on FULL-SIZE generated models (random weights: this measures speed only) with ~1000×750 JPEGs.
//   ours       : the EmbeddingService (decode + preprocess + dynamic batching + session.run), N concurrent calls
//   raw        : session.run alone on already-preprocessed tensors, batch after batch (the ceiling; int8
//                graphs row by row, as the service must run them to keep vectors batch-independent)
//   tjs        : @huggingface/transformers' CLIP processor + CLIPVisionModelWithProjection on the same folder
//   lag        : event-loop delay while "ours" runs (monitorEventLoopDelay)
//   % peak     : ours in matrix GFLOP/s ÷ the best GFLOP/s onnxruntime reaches on one MatMul of the model's own
//                shapes on this machine (bench/matmul-peak.ts), fp32 or int8
//   --int8     : also the int8 copies `<generated folder>-int8` made by models/visualized-bge/quantize.py
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { pino } from "pino";
import sharp from "sharp";
import { loadConfig } from "../src/config.js";
import { ensureGeneratedModelIn, type GeneratedKind } from "../src/model-tooling/generate/index.js";
import { readManifest } from "../src/model-tooling/manifest.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";
import { modelInput, type PixelSpec } from "../src/services/embedding/model-input.js";
import { decodeImage, type DecodedImage } from "../src/services/image-decode.js";
import { loadEmbeddingService, type EmbeddingService } from "../src/services/embedding/index.js";
import { graphOperators, quantisesAcrossRows } from "../src/services/embedding/onnx-ops.js";
import { sessionOptions } from "../src/services/embedding/onnx-session.js";
import { TextTokenizer } from "../src/services/embedding/text-tokenizer.js";
import { itemFlops, peakGflops } from "./matmul-peak.js";

const LIMITS = { maxPixels: 100_000_000 };
const preprocessImage = (image: DecodedImage, spec: Omit<PixelSpec, "cropRounding">) => modelInput(image.pixels, image.width, image.height, image.channels, { ...spec, cropRounding: "floor" });

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const familyArg = args.includes("--family") ? args[args.indexOf("--family") + 1] : "all";
const int8 = args.includes("--int8");
const BATCHES = args.includes("--batches") ? args[args.indexOf("--batches") + 1].split(",").map(Number) : quick ? [1, 8] : [1, 4, 8, 16];
const MODES = ["image", "text", "composed"] as const;
type Mode = (typeof MODES)[number];
const MODELS_DIR = path.join(REPO_ROOT, ".cache", "models");
const logger = pino({ level: "warn" });

async function photoJpeg(seed: number, width = 1000, height = 750): Promise<Buffer> {
  const noise = await sharp({ create: { width, height, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 30 } } }).raw().toBuffer();
  const px = Buffer.alloc(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const x = p % width;
    const y = (p / width) | 0;
    px[p * 3] = ((x * 255) / width + seed * 37 + noise[p * 3] / 4) & 255;
    px[p * 3 + 1] = ((y * 255) / height + seed * 11 + noise[p * 3 + 1] / 4) & 255;
    px[p * 3 + 2] = (((x + y) * 128) / width + seed * 5 + noise[p * 3 + 2] / 4) & 255;
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/** Items per second of `work` (which embeds `count` items), repeated until it has run for at least 2 s: a set of
 * short texts takes ~50 ms once, where one pause would halve the figure. */
async function timed(count: number, work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let rounds = 0;
  do {
    await work();
    rounds++;
  } while (performance.now() - start < 2000);
  return (count * rounds) / ((performance.now() - start) / 1000);
}

interface Row {
  model: string;
  precision: "fp32" | "int8";
  family: "visualized-bge" | "clip";
  mode: Mode;
  batch: number;
  ours: number;
  raw: number;
  tjs?: number;
  lagP99: number;
  lagMax: number;
  textTokens?: number;
  vectors: Float32Array[];
}

async function openService(folder: string, batch: number): Promise<EmbeddingService> {
  const config = loadConfig({ MODELS_DIR: path.dirname(folder), MODEL: path.basename(folder), EMBED_MAX_BATCH: String(batch), EMBED_MAX_WAIT_MS: "2" });
  return loadEmbeddingService(config.model, { logger });
}

async function measureOurs(service: EmbeddingService, images: Buffer[], instructions: string[], mode: Mode) {
  // From the bytes, as the server does: the one decode, then the model.
  const call = async (bytes: Buffer, i: number) => {
    if (mode === "text") return service.embedText(instructions[i]);
    const img = await decodeImage(bytes, LIMITS);
    return mode === "image" ? service.embedImage(img) : service.embedComposed(img, instructions[i]);
  };
  await Promise.all(images.slice(0, 4).map(call)); // warm-up
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let results: Array<Float32Array | { vector: Float32Array }> = [];
  const rate = await timed(images.length, async () => (results = await Promise.all(images.map(call))));
  lag.disable();
  const vectors = results.map((r) => (r instanceof Float32Array ? r : r.vector));
  return { rate, lagP99: lag.percentile(99) / 1e6, lagMax: lag.max / 1e6, vectors };
}

function ids64(rows: number[][], pad: number): { ids: ort.Tensor; mask: ort.Tensor } {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width).fill(BigInt(pad));
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((id, j) => ((ids[i * width + j] = BigInt(id)), (mask[i * width + j] = 1n))));
  return { ids: new ort.Tensor("int64", ids, [rows.length, width]), mask: new ort.Tensor("int64", mask, [rows.length, width]) };
}

/** session.run over preprocessed tensors, `batch` at a time: what the model alone can do. */
async function measureRaw(session: ort.InferenceSession, feedsFor: (from: number, to: number) => Record<string, ort.Tensor>, count: number, batch: number): Promise<number> {
  if (rowByRowSessions.has(session)) batch = 1;
  await session.run(feedsFor(0, Math.min(batch, count)));
  return timed(count, async () => {
    for (let i = 0; i < count; i += batch) await session.run(feedsFor(i, Math.min(i + batch, count)));
  });
}

function pixelsBatch(tensors: Float32Array[], from: number, to: number): ort.Tensor {
  const plane = 3 * 224 * 224;
  const data = new Float32Array((to - from) * plane);
  for (let i = from; i < to; i++) data.set(tensors[i], (i - from) * plane);
  return new ort.Tensor("float32", data, [to - from, 3, 224, 224]);
}

const rowByRowSessions = new Set<ort.InferenceSession>();

async function benchFamily(kind: GeneratedKind, count: number, precision: "fp32" | "int8"): Promise<Row[]> {
  const fp32Folder = await ensureGeneratedModelIn(MODELS_DIR, kind);
  const folder = precision === "int8" ? `${fp32Folder}-int8` : fp32Folder;
  if (precision === "int8" && !(await readManifest(folder).then(() => true, () => false))) {
    console.error(`  (no ${folder}: make it with \`python models/visualized-bge/quantize.py ${path.relative(process.cwd(), fp32Folder)}\`; skipping int8 ${kind})`);
    return [];
  }
  const manifest = await readManifest(folder);
  const images = await Promise.all(Array.from({ length: count }, (_, i) => photoJpeg(i)));
  const instructions = images.map((_, i) => `a phone case with this image theme, variant ${i}`);
  const tensors = await Promise.all(images.map(async (img) => preprocessImage(await decodeImage(img, LIMITS), manifest.image)));
  const tokenizer = await TextTokenizer.fromFile(path.join(folder, manifest.files[manifest.text.tokenizer].path));
  const promptIds = instructions.map((t) => tokenizer.encode(t, manifest.text.maxComposedTokens).ids);
  const emptyIds = instructions.map(() => tokenizer.encode("", manifest.text.maxComposedTokens).ids);

  let tjs: ((batch: number) => Promise<number>) | undefined;
  if (manifest.family === "clip" && precision === "fp32") {
    const { AutoProcessor, CLIPVisionModelWithProjection, RawImage, env } = await import("@huggingface/transformers");
    env.allowRemoteModels = false;
    env.localModelPath = `${MODELS_DIR}/`;
    const processor = await AutoProcessor.from_pretrained(path.basename(folder));
    const model = await CLIPVisionModelWithProjection.from_pretrained(path.basename(folder), { dtype: "fp32", device: "cpu" });
    const run = async (from: number, to: number) => {
      const raws = await Promise.all(images.slice(from, to).map((b) => RawImage.fromBlob(new Blob([new Uint8Array(b)]))));
      await model(await processor(raws));
    };
    tjs = async (batch) => {
      await run(0, Math.min(batch, count));
      return timed(count, async () => {
        for (let i = 0; i < count; i += batch) await run(i, Math.min(i + batch, count));
      });
    };
  }

  // The ceiling: plain in-process sessions with the same options the service uses (config defaults).
  const defaults = loadConfig({}).model;
  const direct = async (role: string) => {
    const file = path.join(folder, manifest.files[role].path);
    const session = await ort.InferenceSession.create(file, sessionOptions(defaults));
    if (quantisesAcrossRows(await graphOperators(file))) rowByRowSessions.add(session);
    return session;
  };
  const rawSessions =
    manifest.family === "visualized-bge"
      ? { composed: await direct("composed"), text: await direct("text") }
      : { vision: await direct("vision"), text: await direct("text") };
  const textFeeds = (a: number, b: number): Record<string, ort.Tensor> => {
    const t = ids64(promptIds.slice(a, b), manifest.text.padId);
    return manifest.family === "clip" ? { input_ids: t.ids } : { input_ids: t.ids, attention_mask: t.mask };
  };

  const rows: Row[] = [];
  for (const batch of BATCHES) {
    const service = await openService(folder, batch);
    for (const mode of MODES) {
      const ours = await measureOurs(service, images, instructions, mode);
      let raw: number;
      if (mode === "text") {
        raw = await measureRaw(rawSessions.text, textFeeds, count, batch);
      } else if (manifest.family === "visualized-bge") {
        const session = rawSessions.composed!;
        const ids = mode === "image" ? emptyIds : promptIds;
        raw = await measureRaw(session, (a, b) => {
          const t = ids64(ids.slice(a, b), 0);
          return { pixel_values: pixelsBatch(tensors, a, b), input_ids: t.ids, attention_mask: t.mask };
        }, count, batch);
      } else {
        const vision = rawSessions.vision!;
        const text = rawSessions.text!;
        raw = await measureRaw(vision, (a, b) => ({ pixel_values: pixelsBatch(tensors, a, b) }), count, batch);
        if (mode === "composed") {
          // Composed CLIP = one vision and one text row per query: time both, sequentially.
          const textRate = await measureRaw(text, textFeeds, count, batch);
          raw = 1 / (1 / raw + 1 / textRate);
        }
      }
      rows.push({ model: kind, precision, family: manifest.family as Row["family"], mode, batch, ours: ours.rate, raw, tjs: mode === "image" && tjs ? await tjs(batch) : undefined, lagP99: ours.lagP99, lagMax: ours.lagMax, vectors: ours.vectors });
      const r = rows.at(-1)!;
      console.error(`  ${kind} ${precision} ${mode} batch ${batch}: ours ${r.ours.toFixed(2)}/s raw ${r.raw.toFixed(2)}/s${r.tjs ? ` tjs ${r.tjs.toFixed(2)}/s` : ""} lag p99 ${r.lagP99.toFixed(1)} ms`);
    }
    await service.close();
  }
  for (const s of Object.values(rawSessions)) await s.release();
  for (const r of rows) r.textTokens = promptIds.reduce((n, ids) => n + ids.length, 0) / promptIds.length;
  return rows;
}

async function preprocessingAgreement(): Promise<string> {
  // Cross-check our preprocessing against transformers.js' CLIP processor on one photo-like JPEG.
  const folder = await ensureGeneratedModelIn(MODELS_DIR, "clip-tiny");
  const { AutoProcessor, RawImage, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = `${MODELS_DIR}/`;
  const processor = await AutoProcessor.from_pretrained(path.basename(folder));
  const jpeg = await photoJpeg(3);
  const theirs = (await processor(await RawImage.fromBlob(new Blob([new Uint8Array(jpeg)])))).pixel_values.data as Float32Array;
  const ours = await preprocessImage(await decodeImage(jpeg, LIMITS), (await readManifest(folder)).image);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - theirs[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return `preprocessing vs transformers.js CLIP processor (same JPEG): mean |Δ| ${(sum / ours.length).toFixed(4)}, max |Δ| ${max.toFixed(3)} (normalised units; 1/255/std ≈ 0.015)`;
}

/** Vectors are unit length: the dot product is the cosine. */
function minCosine(a: Float32Array[], b: Float32Array[]): number {
  return Math.min(...a.map((v, i) => v.reduce((sum, x, j) => sum + x * b[i][j], 0)));
}

function table(rows: Row[], peak: Record<"fp32" | "int8", number>): string {
  const head = ["model", "precision", "mode", "batch", "ours/s", "raw/s", "ours÷raw", "÷fp32", "cos fp32 min", "tjs/s", "ours÷tjs", "GFLOP/s", "% peak", "lag p99 ms", "lag max ms"];
  const body = rows.map((r) => {
    const fp32 = rows.find((o) => o.precision === "fp32" && o.model === r.model && o.mode === r.mode && o.batch === r.batch);
    const gflops = (r.ours * itemFlops(r.family, r.mode, r.textTokens ?? 10)) / 1e9;
    return [
      r.model, r.precision, r.mode, String(r.batch), r.ours.toFixed(2), r.raw.toFixed(2), (r.ours / r.raw).toFixed(2),
      r.precision === "int8" && fp32 ? (r.ours / fp32.ours).toFixed(2) : "-",
      r.precision === "int8" && fp32 ? minCosine(r.vectors, fp32.vectors).toFixed(5) : "-",
      r.tjs ? r.tjs.toFixed(2) : "-", r.tjs ? (r.ours / r.tjs).toFixed(2) : "-",
      gflops.toFixed(0), `${((100 * gflops) / peak[r.precision]).toFixed(0)} %`, r.lagP99.toFixed(1), r.lagMax.toFixed(1),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

const rows: Row[] = [];
console.error(`mmrag embedding benchmark: ${os.cpus().length} CPUs, onnxruntime-node ${ort.env.versions.common}, generated full-size models (random weights), 1000×750 JPEGs`);
const precisions = int8 ? (["fp32", "int8"] as const) : (["fp32"] as const);
for (const precision of precisions) {
  if (familyArg === "all" || familyArg === "clip") rows.push(...(await benchFamily("clip-full", quick ? 16 : 32, precision)));
  if (familyArg === "all" || familyArg === "vbge") rows.push(...(await benchFamily("vbge-full", quick ? 8 : 16, precision)));
}
// The machine's peak for these shapes, measured after the models, under the same conditions.
const peakOptions = sessionOptions(loadConfig({}).model);
const peakOf = async (precision: "fp32" | "int8") => {
  const [small, large] = [await peakGflops(200, precision, peakOptions), await peakGflops(1600, precision, peakOptions)];
  return small.gflops > large.gflops ? small : large;
};
const fp32Peak = await peakOf("fp32");
const int8Peak = int8 ? await peakOf("int8") : { gflops: NaN, shape: "-" };
console.log(table(rows, { fp32: fp32Peak.gflops, int8: int8Peak.gflops }));
console.log(
  `peak (one onnxruntime MatMul of the model's shapes, this machine, this run): fp32 ${fp32Peak.gflops.toFixed(0)} GFLOP/s at ${fp32Peak.shape}` +
    (int8 ? `; int8 (DynamicQuantizeLinear + MatMulInteger, per-channel weights) ${int8Peak.gflops.toFixed(0)} GFLOP/s at ${int8Peak.shape}` : ""),
);
if (familyArg === "all" || familyArg === "clip") console.log(await preprocessingAgreement());
console.log("embeddings/s = queries per second; CLIP composed = one vision + one text row per query. Targets: ours÷raw ≥ 0.9, ours÷tjs ≥ 1.3, int8 ÷fp32 ≥ 2, lag < 50 ms.");
