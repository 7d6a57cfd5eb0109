// `npm run parity [-- --full]`: the parity comparison as a table, per case (min cosine between mmrag and
// the reference). Default: the committed tiny fixtures. --full: the base-size random checkpoints the harness
// wrote to .cache/parity-full (python models/reference/harness.py --size full ..., see models/reference/README.md),
// fp32 and, where exported, int8.
import fs from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../../src/model-tooling/repo-paths.js";
import type { EmbeddingService } from "../../src/services/embedding/index.js";
import { modelPixels } from "../../src/services/embedding/model-input.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { DEVIATIONS } from "./deviations.js";
import { composedCases, cosine, decodeFixture, FIXTURES, openFixtureModel, readReference, sha256, type Family } from "./support.js";

const full = process.argv.includes("--full");
const dir = full ? path.join(REPO_ROOT, ".cache", "parity-full") : FIXTURES;
const size = full ? "full" : "tiny";
if (!(await fs.stat(path.join(dir, "reference.json")).then(() => true, () => false))) {
  console.error(`No reference run in ${dir}. Make one with:\n  python models/reference/harness.py --flag-embedding <FlagEmbedding>/research/visual_bge --size full --out .cache/parity-full --images tests/parity/fixtures/images --quantize`);
  process.exit(2);
}
const reference = await readReference(dir);
const names = Object.keys(reference.images).sort();
const texts = Object.keys(reference.texts).filter((k) => k !== "empty");
const images = new Map<string, DecodedImage>();
for (const name of names) images.set(name, await decodeFixture(name));

const min = (xs: number[]) => Math.min(...xs);
const fmt = (x: number) => x.toFixed(7);
const rows: string[][] = [];

async function compare(family: Family, variant: "fp32" | "int8"): Promise<void> {
  const folder = path.join(dir, "models", `${family}-${size}`);
  const manifest = JSON.parse(await fs.readFile(path.join(folder, "model.json"), "utf8"));
  if (variant === "int8" && !Object.values(manifest.files).some((f) => (f as { quantized?: unknown }).quantized)) return;
  const { service, cleanup } = await openFixtureModel(family, folder, { EMBED_MAX_BATCH: "16", EMBED_MAX_WAIT_MS: "20" }, variant);
  try {
    const ref = reference[family];
    const deviations = DEVIATIONS[family];
    const started = Date.now();
    const image = async (s: EmbeddingService, n: string) => cosine(await s.embedImage(images.get(n)!), ref.images[n].corrected);
    const agree: number[] = [];
    const deviating: number[] = [];
    for (const n of names) (n in deviations ? deviating : agree).push(await image(service, n));
    const text: number[] = [];
    for (const k of texts) text.push(cosine(await service.embedText(reference.texts[k]), ref.texts[k]));
    const composed: number[] = [];
    for (const [n, k, v] of composedCases(family, reference)) composed.push(cosine((await service.embedComposed(images.get(n)!, reference.texts[k])).vector, v));
    const batch = await Promise.all([
      ...names.map((n) => image(service, n)),
      ...texts.map(async (k) => cosine(await service.embedText(reference.texts[k]), ref.texts[k])),
      ...composedCases(family, reference).map(async ([n, k, v]) => cosine((await service.embedComposed(images.get(n)!, reference.texts[k])).vector, v)),
    ]);
    const spec = { ...manifest.image, cropRounding: family === "clip" ? "floor" : "round-half-even" } as const;
    const samePixels = names.filter((n) => {
      const i = images.get(n)!;
      return sha256(modelPixels(i.pixels, i.width, i.height, i.channels, spec)) === ref.images[n].correctedPixels;
    }).length;
    rows.push([
      `${family} ${size} ${variant}`,
      fmt(min(agree)),
      fmt(min(deviating)),
      fmt(min(text)),
      fmt(min(composed)),
      fmt(min(batch)),
      `${samePixels}/${names.length}`,
      `${((Date.now() - started) / 1000).toFixed(0)} s`,
    ]);
  } finally {
    await service.close();
    await cleanup();
  }
}

for (const family of ["visualized-bge", "clip"] as const) for (const variant of ["fp32", "int8"] as const) await compare(family, variant);

const head = ["model", "images (as is)", "images (deviations, vs corrected copy)", "texts", "composed", "mixed batch", "pixels equal", "time"];
const table = (h: string[], body: string[][]) => [h, h.map(() => "---"), ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
console.log(`min cosine, mmrag vs reference (${reference.versions.torch}, transformers ${reference.versions.transformers}, Pillow ${reference.versions.pillow})\n`);
console.log(table(head, rows));

const effects: string[][] = [];
for (const family of ["visualized-bge", "clip"] as const) {
  for (const [n, why] of Object.entries(DEVIATIONS[family])) {
    const r = reference[family].images[n];
    effects.push([family, n, fmt(cosine(r.original, r.corrected)), why]);
  }
}
console.log(`\nDeliberate deviations: the reference's own vector on the file vs on the corrected copy (${size} random weights)\n`);
console.log(table(["family", "image", "cosine", "what mmrag does"], effects));
const tv = names.map((n) => cosine(reference.clip.images[n].original, reference.clip.images[n].originalTorchvisionBackend!));
console.log(`\nCLIP: transformers 5's default (torchvision) image processor vs its PIL one: min cosine ${fmt(min(tv))}`);
console.log(`Harness timings (s): ${JSON.stringify(reference.timings)}`);
