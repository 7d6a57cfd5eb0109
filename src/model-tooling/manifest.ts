// model.json: what a model folder holds and how to run it. Validated with zod; documented in models/README.md.
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.js";

export const MANIFEST_FILE = "model.json";
export const MANIFEST_SCHEMA_VERSION = 1;

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes(".."), "must be a relative path inside the model folder");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");

const fileVariant = z.object({
  path: relativePath,
  bytes: z.number().int().nonnegative().optional(),
  sha256: sha256.optional(),
  /** Path in the hub repository when it differs from `path` (used by `models pull`). */
  hubPath: z.string().min(1).optional(),
});

const modelFile = fileVariant.extend({
  /** A quantised alternative, used when the full-precision file is absent. */
  quantized: fileVariant.optional(),
});

const graph = z.object({
  /** A key of `files`. */
  file: z.string().min(1),
  inputs: z.object({
    pixelValues: z.string().optional(),
    inputIds: z.string().optional(),
    attentionMask: z.string().optional(),
  }),
  output: z.string().min(1),
});

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
    /** A family of src/services/embedding/families.ts, which checks the graphs and fields it needs. */
    family: z.string().min(1),
    dimension: z.number().int().positive(),
    /** true: random weights made by our generator, not a real model. */
    generated: z.boolean(),
    description: z.string().optional(),
    generator: z.object({ version: z.number().int(), kind: z.string(), seed: z.number().int() }).optional(),
    hub: z.object({ repo: z.string().min(1), revision: z.string().min(1) }).optional(),
    files: z.record(modelFile),
    graphs: z.object({ composed: graph.optional(), text: graph, vision: graph.optional() }),
    image: z.object({
      size: z.number().int().positive(),
      resizeShortestEdge: z.number().int().positive(),
      resample: z.literal("bicubic"),
      crop: z.literal("center"),
      mean: triple,
      std: triple,
    }),
    text: z.object({
      /** A key of `files`: a Hugging Face tokenizer.json. */
      tokenizer: z.string().min(1),
      /** Most tokens (specials included) in a text-only query. */
      maxTokens: z.number().int().positive(),
      /** Most text tokens (specials included) in a composed query. */
      maxComposedTokens: z.number().int().positive(),
      padId: z.number().int().nonnegative(),
    }),
    /** Visualized-BGE: image tokens the composed graph adds (positions 1..N). */
    imageTokens: z.number().int().positive().optional(),
  })
  .superRefine((m, ctx) => {
    for (const [key, g] of Object.entries(m.graphs)) {
      if (g && !m.files[g.file]) ctx.addIssue({ code: "custom", path: ["graphs", key, "file"], message: `"${g.file}" is not a key of files` });
    }
    if (!m.files[m.text.tokenizer]) ctx.addIssue({ code: "custom", path: ["text", "tokenizer"], message: `"${m.text.tokenizer}" is not a key of files` });
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ModelFile = z.infer<typeof modelFile>;
export type GraphSpec = z.infer<typeof graph>;

export async function readManifest(folder: string): Promise<ModelManifest> {
  const file = path.join(folder, MANIFEST_FILE);
  let raw: string;
  try {
    raw = await fs.readFile(file, "utf8");
  } catch {
    throw new ConfigError(`Model manifest ${file} does not exist`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`Model manifest ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Model manifest ${file} is invalid:\n${problems.join("\n")}`);
  }
  return parsed.data;
}

export interface MissingFile {
  role: string;
  path: string;
  problem: string;
}

async function sizeOf(file: string): Promise<number | undefined> {
  return fs.stat(file).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
}

/** The variant of a file present on disk: the full-precision one, else the quantised one. */
export async function presentVariant(folder: string, file: ModelFile): Promise<{ path: string; bytes: number; sha256?: string } | MissingFile> {
  for (const variant of [file, file.quantized]) {
    if (!variant) continue;
    const abs = path.join(folder, variant.path);
    const size = await sizeOf(abs);
    if (size === undefined) continue;
    if (variant.bytes !== undefined && size !== variant.bytes) {
      return { role: "", path: abs, problem: `is ${size} bytes, expected ${variant.bytes} (incomplete download?)` };
    }
    return { path: abs, bytes: size, sha256: variant.sha256 };
  }
  return { role: "", path: path.join(folder, file.path), problem: "is missing" };
}

/** Every file the manifest names that is absent or the wrong size; empty when the folder is complete. */
export async function findMissingFiles(folder: string, manifest: ModelManifest): Promise<MissingFile[]> {
  const missing: MissingFile[] = [];
  for (const [role, file] of Object.entries(manifest.files)) {
    const found = await presentVariant(folder, file);
    if ("problem" in found) missing.push({ ...found, role });
  }
  return missing;
}
