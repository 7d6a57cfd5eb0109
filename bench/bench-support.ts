// Shared pieces of the benchmarks: real-size JPEGs, a server config on a temp data dir, timing helpers.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { loadConfig, type Config, type Env } from "../src/config.js";
import { ensureGeneratedModelIn, type GeneratedKind } from "../src/model-tooling/generate/index.js";
import { REPO_ROOT } from "../src/model-tooling/repo-paths.js";

export const BENCH_MODELS_DIR = path.join(REPO_ROOT, ".cache", "models");

/** Photo-like JPEGs (smooth gradients plus noise, so they compress like photos, not like flat colour). */
export async function writeJpegs(folder: string, count: number, width = 1000, height = 750): Promise<string[]> {
  await fs.mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(folder, `img-${String(i).padStart(5, "0")}.jpg`);
    files.push(file);
    if (await fs.access(file).then(() => true, () => false)) continue;
    const noise = await sharp({ create: { width, height, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 40 } } }).raw().toBuffer();
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      const x = p % width;
      const y = Math.floor(p / width);
      pixels[p * 3] = ((x * 255) / width + i * 37 + noise[p * 3] / 4) & 255;
      pixels[p * 3 + 1] = ((y * 255) / height + i * 11 + noise[p * 3 + 1] / 4) & 255;
      pixels[p * 3 + 2] = (((x + y) * 128) / width + i * 5 + noise[p * 3 + 2] / 4) & 255;
    }
    await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toFile(file);
  }
  return files;
}

export async function benchConfig(kind: GeneratedKind, env: Env = {}): Promise<{ config: Config; dataDir: string }> {
  return benchConfigFor(await ensureGeneratedModelIn(BENCH_MODELS_DIR, kind), env);
}

/** A production config on a fresh temporary data dir, serving the model folder `modelDir`. */
export async function benchConfigFor(modelDir: string, env: Env = {}): Promise<{ config: Config; dataDir: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "mmrag-bench-"));
  const config = loadConfig({
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    PORT: "0",
    DATA_DIR: dataDir,
    MODELS_DIR: path.dirname(modelDir),
    MODEL: path.basename(modelDir),
    ...env,
  });
  return { config, dataDir };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

export function machine(): string {
  return `${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** Runs `task` over `items` with `concurrency` in flight, like the ingest pipeline does. */
export async function mapConcurrent<T>(items: T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}
