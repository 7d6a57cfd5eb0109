// The committed parity fixtures (made by models/reference/harness.py) and the model folders built from them.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config.js";
import { REPO_ROOT } from "../../src/model-tooling/repo-paths.js";
import { loadEmbeddingService, type EmbeddingService } from "../../src/services/embedding/index.js";
import { decodeImage, type DecodedImage } from "../../src/services/image-decode.js";

export const FIXTURES = path.join(REPO_ROOT, "tests", "parity", "fixtures");
export type Family = "visualized-bge" | "clip";

export interface ImageReference {
  original: number[];
  corrected: number[];
  /** CLIP only: transformers 5's default (torchvision) image processor, reported beside the PIL one. */
  originalTorchvisionBackend?: number[];
  /** sha256 of the 224×224 RGB pixels the reference pipeline fed the model. */
  originalPixels: string;
  correctedPixels: string;
}

export interface Reference {
  size: "tiny" | "full";
  versions: Record<string, string>;
  /** Seconds the harness took per step (checkpoint, export, reference vectors). */
  timings: Record<string, number>;
  texts: Record<string, string>;
  images: Record<string, string>;
  "visualized-bge": {
    images: Record<string, ImageReference>;
    texts: Record<string, number[]>;
    composed: Record<string, Record<string, { original: number[]; corrected: number[] }>>;
    tokens: Record<string, { ids: number[]; rustIds: number[] }>;
  };
  clip: {
    images: Record<string, ImageReference>;
    texts: Record<string, number[]>;
    tokens: Record<string, { ids: number[] }>;
  };
}

export async function readReference(dir = FIXTURES): Promise<Reference> {
  return JSON.parse(await fs.readFile(path.join(dir, "reference.json"), "utf8"));
}

export async function decodeFixture(name: string, dir = FIXTURES): Promise<DecodedImage> {
  return decodeImage(await fs.readFile(path.join(dir, "images", name)), { maxPixels: 100_000_000 });
}

const TOKENIZERS: Record<Family, string> = { "visualized-bge": "bert-base-uncased", clip: "clip" };

/**
 * A model folder from an exported one (graphs + model.json), linked file by file into a temporary folder; the
 * tokenizer we ship is added when the export has none. `int8` links only the quantized variants.
 */
export async function openFixtureModel(
  family: Family,
  modelFolder: string,
  env: Record<string, string> = {},
  variant: "fp32" | "int8" = "fp32",
): Promise<{ service: EmbeddingService; cleanup(): Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "mmrag-parity-"));
  const folder = path.join(root, path.basename(modelFolder));
  const manifest = JSON.parse(await fs.readFile(path.join(modelFolder, "model.json"), "utf8"));
  await fs.mkdir(folder, { recursive: true });
  await fs.writeFile(path.join(folder, "model.json"), JSON.stringify(manifest));
  for (const file of Object.values(manifest.files) as { path: string; quantized?: { path: string } }[]) {
    const chosen = variant === "int8" && file.quantized ? file.quantized.path : file.path;
    const source = path.resolve(modelFolder, chosen);
    const target = path.join(folder, chosen);
    await fs.mkdir(path.dirname(target), { recursive: true });
    if (await fs.stat(source).then(() => true, () => false)) await fs.symlink(source, target);
  }
  if (!(await fs.stat(path.join(folder, "tokenizer.json")).then(() => true, () => false))) {
    await fs.copyFile(path.join(REPO_ROOT, "models", "tokenizers", TOKENIZERS[family], "tokenizer.json"), path.join(folder, "tokenizer.json"));
  }
  const config = loadConfig({ MODELS_DIR: root, MODEL: path.basename(folder), ORT_INTRA_OP_THREADS: "1", ...env });
  try {
    const service = await loadEmbeddingService(config.model, { logger: pino({ level: "silent" }) });
    return { service, cleanup: async () => fs.rm(root, { recursive: true, force: true }) };
  } catch (err) {
    await fs.rm(root, { recursive: true, force: true });
    throw err;
  }
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** CLIP's composed query as mmrag defines it, from the reference image and text vectors. */
export function clipComposed(image: number[], text: number[], w = 0.5): number[] {
  const v = image.map((x, i) => w * x + (1 - w) * text[i]);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** The composed queries the reference computed: [image, text key, expected vector (on the corrected copy)]. */
export function composedCases(family: Family, reference: Reference): [string, string, number[]][] {
  if (family === "visualized-bge") {
    return Object.entries(reference["visualized-bge"].composed).flatMap(([name, byText]) =>
      Object.entries(byText).map(([key, v]) => [name, key, v.corrected] as [string, string, number[]]),
    );
  }
  const clip = reference.clip;
  const keys = ["plain", "cjk", "emoji", "over-316-tokens"];
  return Object.keys(reference.images)
    .sort()
    .flatMap((name) => keys.map((key) => [name, key, clipComposed(clip.images[name].corrected, clip.texts[key])] as [string, string, number[]]));
}
