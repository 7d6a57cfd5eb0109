// Shared helpers for the embedding tests: open a generated model through the public loader.
import path from "node:path";
import { pino } from "pino";
import { loadConfig, type Env } from "../../src/config.js";
import type { GeneratedKind } from "../../src/model-tooling/generate/index.js";
import { loadEmbeddingService, type EmbeddingService } from "../../src/services/embedding/index.js";
import { ensureGeneratedModel } from "../support/models.js";

export const silentLogger = pino({ level: "silent" });

export async function openGenerated(kind: GeneratedKind, env: Env = {}): Promise<EmbeddingService> {
  const folder = await ensureGeneratedModel(kind);
  const config = loadConfig({ MODELS_DIR: path.dirname(folder), MODEL: path.basename(folder), ORT_INTRA_OP_THREADS: "1", ...env });
  return loadEmbeddingService(config.model, { logger: silentLogger });
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Stats of the batchers behind a loaded service (implementation detail the batching tests look at). */
export function runsOf(service: EmbeddingService): number {
  const s = service as unknown as Record<string, { batcher?: { stats: { runs: number } } }>;
  return Object.values(s).reduce((n, v) => n + (v?.batcher?.stats.runs ?? 0), 0);
}
