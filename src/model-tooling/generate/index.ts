// Generated models: our graphs with seeded random weights, written as complete model folders
// (graphs + tokenizer + model.json). They have the real models' input/output contracts and NO retrieval quality.
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "../../errors.js";
import { sha256Bytes } from "../hash-file.js";
import { findMissingFiles, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION, readManifest, type ModelManifest } from "../manifest.js";
import { findTokenizerFile } from "../repo-paths.js";
import { buildClipTextGraph, buildClipVisionGraph, type ClipShape } from "./clip.graphs.js";
import { WeightBank } from "./seeded-random.js";
import { buildComposedGraph, buildTextGraph, imageTokenCount, type VbgeShape } from "./visualized-bge.graphs.js";

/** Bump when graphs or weights change: cached folders with another version are regenerated. */
export const GENERATOR_VERSION = 1;

export type GeneratedKind = "vbge-tiny" | "vbge-full" | "clip-tiny" | "clip-full";
export const GENERATED_KINDS: GeneratedKind[] = ["vbge-tiny", "vbge-full", "clip-tiny", "clip-full"];

const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
const IMAGE = { size: 224, resizeShortestEdge: 224, resample: "bicubic", crop: "center", mean: CLIP_MEAN, std: CLIP_STD } as const;

const VBGE_SHAPES: Record<"vbge-tiny" | "vbge-full", VbgeShape> = {
  "vbge-tiny": {
    vision: { hidden: 32, layers: 1, heads: 2, mlp: 64, eps: 1e-6, imageSize: 224, patch: 16 },
    bert: { hidden: 64, layers: 2, heads: 2, mlp: 128, eps: 1e-12, vocab: 30522, maxPositions: 512 },
  },
  // EVA02-CLIP-B/16-sized vision tower + bge-base-en-v1.5-sized BERT.
  "vbge-full": {
    vision: { hidden: 768, layers: 12, heads: 12, mlp: 3072, eps: 1e-6, imageSize: 224, patch: 16 },
    bert: { hidden: 768, layers: 12, heads: 12, mlp: 3072, eps: 1e-12, vocab: 30522, maxPositions: 512 },
  },
};

const CLIP_SHAPES: Record<"clip-tiny" | "clip-full", ClipShape> = {
  "clip-tiny": {
    vision: { hidden: 32, layers: 1, heads: 2, mlp: 64, eps: 1e-5, imageSize: 224, patch: 32 },
    text: { hidden: 32, layers: 1, heads: 2, mlp: 64, eps: 1e-5, vocab: 49408, context: 77 },
    embedDim: 48,
  },
  // ViT-B/32 vision + 12×512 text, 512-d output, as openai/clip-vit-base-patch32.
  "clip-full": {
    vision: { hidden: 768, layers: 12, heads: 12, mlp: 3072, eps: 1e-5, imageSize: 224, patch: 32 },
    text: { hidden: 512, layers: 12, heads: 8, mlp: 2048, eps: 1e-5, vocab: 49408, context: 77 },
    embedDim: 512,
  },
};

const SEEDS: Record<GeneratedKind, number> = { "vbge-tiny": 11, "vbge-full": 12, "clip-tiny": 21, "clip-full": 22 };

export const DEMO_WARNING =
  "Running on a GENERATED demo model with random weights: embeddings are deterministic but carry NO meaning, and search results are not relevant. " +
  "Install a real model: `npm run mmrag -- models pull clip-vit-base-patch32`, or export Visualized-BGE (models/README.md).";

export function generatedFolderName(kind: GeneratedKind): string {
  return `generated-${kind}`;
}

async function readTokenizer(id: "bert-base-uncased" | "clip"): Promise<Buffer> {
  const file = findTokenizerFile(id);
  if (!file) throw new ConfigError(`No ${id} tokenizer.json found (looked in models/tokenizers/${id} and ../shared/tokenizers/${id})`);
  return fs.readFile(file);
}

type Outputs = Record<string, { path: string; bytes: Uint8Array }>;

function fileEntries(out: Outputs): ModelManifest["files"] {
  return Object.fromEntries(Object.entries(out).map(([role, f]) => [role, { path: f.path, bytes: f.bytes.length, sha256: sha256Bytes(f.bytes) }]));
}

function vbgeModel(kind: "vbge-tiny" | "vbge-full", tokenizer: Buffer): { manifest: ModelManifest; files: Outputs } {
  const shape = VBGE_SHAPES[kind];
  const bank = new WeightBank(SEEDS[kind]);
  const imageTokens = imageTokenCount(shape);
  const files: Outputs = {
    composed: { path: "composed.onnx", bytes: buildComposedGraph(shape, bank) },
    text: { path: "text.onnx", bytes: buildTextGraph(shape, bank) },
    tokenizer: { path: "tokenizer.json", bytes: tokenizer },
  };
  const manifest: ModelManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: generatedFolderName(kind),
    family: "visualized-bge",
    dimension: shape.bert.hidden,
    generated: true,
    description: `Generated Visualized-BGE-contract model (${kind}), seeded random weights: NOT a real model.`,
    generator: { version: GENERATOR_VERSION, kind, seed: SEEDS[kind] },
    files: fileEntries(files),
    graphs: {
      composed: { file: "composed", inputs: { pixelValues: "pixel_values", inputIds: "input_ids", attentionMask: "attention_mask" }, output: "embeddings" },
      text: { file: "text", inputs: { inputIds: "input_ids", attentionMask: "attention_mask" }, output: "embeddings" },
    },
    image: { ...IMAGE, mean: [...CLIP_MEAN], std: [...CLIP_STD] },
    text: { tokenizer: "tokenizer", maxTokens: shape.bert.maxPositions, maxComposedTokens: shape.bert.maxPositions - imageTokens, padId: 0 },
    imageTokens,
  };
  return { manifest, files };
}

function clipModel(kind: "clip-tiny" | "clip-full", tokenizer: Buffer): { manifest: ModelManifest; files: Outputs } {
  const shape = CLIP_SHAPES[kind];
  const bank = new WeightBank(SEEDS[kind]);
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + "\n");
  // Laid out like Xenova/clip-vit-base-patch32 so transformers.js can load the same folder (bench).
  const files: Outputs = {
    vision: { path: "onnx/vision_model.onnx", bytes: buildClipVisionGraph(shape, bank) },
    text: { path: "onnx/text_model.onnx", bytes: buildClipTextGraph(shape, bank) },
    tokenizer: { path: "tokenizer.json", bytes: tokenizer },
    tokenizerConfig: {
      path: "tokenizer_config.json",
      bytes: json({ tokenizer_class: "CLIPTokenizer", model_max_length: shape.text.context, bos_token: "<|startoftext|>", eos_token: "<|endoftext|>", pad_token: "<|endoftext|>", unk_token: "<|endoftext|>", do_lower_case: true }),
    },
    preprocessorConfig: {
      path: "preprocessor_config.json",
      bytes: json({ feature_extractor_type: "CLIPFeatureExtractor", image_processor_type: "CLIPImageProcessor", do_resize: true, size: { shortest_edge: 224 }, resample: 3, do_center_crop: true, crop_size: { height: 224, width: 224 }, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: CLIP_MEAN, image_std: CLIP_STD, do_convert_rgb: true }),
    },
    config: {
      path: "config.json",
      bytes: json({
        model_type: "clip",
        architectures: ["CLIPModel"],
        projection_dim: shape.embedDim,
        text_config: { model_type: "clip_text_model", hidden_size: shape.text.hidden, num_hidden_layers: shape.text.layers, num_attention_heads: shape.text.heads, intermediate_size: shape.text.mlp, vocab_size: shape.text.vocab, max_position_embeddings: shape.text.context, projection_dim: shape.embedDim },
        vision_config: { model_type: "clip_vision_model", hidden_size: shape.vision.hidden, num_hidden_layers: shape.vision.layers, num_attention_heads: shape.vision.heads, intermediate_size: shape.vision.mlp, image_size: 224, patch_size: shape.vision.patch, projection_dim: shape.embedDim },
      }),
    },
  };
  const manifest: ModelManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    name: generatedFolderName(kind),
    family: "clip",
    dimension: shape.embedDim,
    generated: true,
    description: `Generated CLIP-contract model (${kind}), seeded random weights: NOT a real model.`,
    generator: { version: GENERATOR_VERSION, kind, seed: SEEDS[kind] },
    files: fileEntries(files),
    graphs: {
      vision: { file: "vision", inputs: { pixelValues: "pixel_values" }, output: "image_embeds" },
      text: { file: "text", inputs: { inputIds: "input_ids" }, output: "text_embeds" },
    },
    image: { ...IMAGE, mean: [...CLIP_MEAN], std: [...CLIP_STD] },
    text: { tokenizer: "tokenizer", maxTokens: shape.text.context, maxComposedTokens: shape.text.context, padId: 49407 },
  };
  return { manifest, files };
}

/** Writes a complete generated model folder at `folder` (which must not exist yet). */
export async function writeGeneratedModel(kind: GeneratedKind, folder: string): Promise<ModelManifest> {
  const { manifest, files } = kind.startsWith("vbge")
    ? vbgeModel(kind as "vbge-tiny" | "vbge-full", await readTokenizer("bert-base-uncased"))
    : clipModel(kind as "clip-tiny" | "clip-full", await readTokenizer("clip"));
  for (const f of Object.values(files)) {
    await fs.mkdir(path.dirname(path.join(folder, f.path)), { recursive: true });
    await fs.writeFile(path.join(folder, f.path), f.bytes);
  }
  await fs.writeFile(path.join(folder, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

async function isCurrent(folder: string, kind: GeneratedKind): Promise<boolean> {
  try {
    const m = await readManifest(folder);
    return m.generator?.version === GENERATOR_VERSION && m.generator.kind === kind && (await findMissingFiles(folder, m)).length === 0;
  } catch {
    return false;
  }
}

/**
 * `${parent}/generated-<kind>`, generated if absent or made by another generator version. Safe when several
 * processes ask at once: each writes a private temp folder and renames it into place; the loser discards its copy.
 */
export async function ensureGeneratedModelIn(parent: string, kind: GeneratedKind): Promise<string> {
  const folder = path.join(parent, generatedFolderName(kind));
  if (await isCurrent(folder, kind)) return folder;
  await fs.mkdir(parent, { recursive: true });
  const temp = path.join(parent, `.tmp-${generatedFolderName(kind)}-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeGeneratedModel(kind, temp);
    if (await isCurrent(folder, kind)) return folder; // someone else finished first
    const stale = `${temp}.stale`;
    await fs.rename(folder, stale).then(
      () => fs.rm(stale, { recursive: true, force: true }),
      () => undefined,
    );
    try {
      await fs.rename(temp, folder);
    } catch (err) {
      // Another process renamed its copy in between: fine if that one is current.
      if (!(await isCurrent(folder, kind))) throw err;
    }
    return folder;
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
}
