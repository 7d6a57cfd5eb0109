// Reference parity: mmrag's embeddings of the fixture images and texts against the vectors FlagEmbedding's
// Visualized_BGE.encode and transformers' CLIPModel computed (models/reference/harness.py) on the same
// true-architecture models with seeded random weights. Random weights: this checks that the pipelines
// compute the same function, never retrieval quality.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingService } from "../../src/services/embedding/index.js";
import { modelPixels, type PixelSpec } from "../../src/services/embedding/model-input.js";
import { TextTokenizer } from "../../src/services/embedding/text-tokenizer.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { REPO_ROOT } from "../../src/model-tooling/repo-paths.js";
import { runsOf } from "../embedding/support.js";
import { DEVIATIONS } from "./deviations.js";
import { composedCases, cosine, decodeFixture, FIXTURES, openFixtureModel, readReference, sha256, type Reference } from "./support.js";

const AGREE = 0.99999;
const reference: Reference = await readReference();
const imageNames = Object.keys(reference.images).sort();
const textKeys = Object.keys(reference.texts).filter((k) => k !== "empty");

const FAMILIES = [
  { family: "visualized-bge" as const, folder: "visualized-bge-tiny", crop: "round-half-even" as const, tokenizer: "bert-base-uncased" },
  { family: "clip" as const, folder: "clip-tiny", crop: "floor" as const, tokenizer: "clip" },
];

describe.each(FAMILIES)("$family parity with the reference", ({ family, folder, crop, tokenizer }) => {
  const ref = reference[family];
  let service: EmbeddingService;
  let cleanup: () => Promise<void>;
  const images = new Map<string, DecodedImage>();

  beforeAll(async () => {
    ({ service, cleanup } = await openFixtureModel(family, path.join(FIXTURES, "models", folder), { EMBED_MAX_BATCH: "16", EMBED_MAX_WAIT_MS: "20" }));
    for (const name of imageNames) images.set(name, await decodeFixture(name));
  });
  afterAll(async () => {
    await service?.close();
    await cleanup?.();
  });

  it("the reference itself gives the same vector on the original file and on the corrected copy, except for the deliberate deviations", () => {
    for (const name of imageNames) {
      const { original, corrected } = ref.images[name];
      const same = cosine(original, corrected) >= AGREE;
      expect({ name, same }).toEqual({ name, same: !(name in DEVIATIONS[family]) });
    }
  });

  it("feeds the model exactly the pixels the reference pipeline does (PIL bicubic, reference crop)", async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(FIXTURES, "models", folder, "model.json"), "utf8"));
    const spec: PixelSpec = { ...manifest.image, cropRounding: crop };
    const mismatched = imageNames.filter((name) => {
      const img = images.get(name)!;
      return sha256(modelPixels(img.pixels, img.width, img.height, img.channels, spec)) !== ref.images[name].correctedPixels;
    });
    expect(mismatched).toEqual([]);
  });

  it("tokenises every fixture text to the reference's ids", async () => {
    const ours = await TextTokenizer.fromFile(path.join(REPO_ROOT, "models", "tokenizers", tokenizer, "tokenizer.json"));
    for (const key of Object.keys(reference.texts)) {
      const theirs = ref.tokens[key].ids;
      const cap = family === "clip" ? 77 : 100_000;
      expect({ key, ids: ours.encode(reference.texts[key], cap).ids }).toEqual({ key, ids: theirs });
    }
  });

  it("embeds each image alone as the reference does", async () => {
    for (const name of imageNames) {
      const c = cosine(await service.embedImage(images.get(name)!), ref.images[name].corrected);
      expect({ name, agrees: c >= AGREE, c }).toMatchObject({ name, agrees: true });
    }
  });

  it("embeds each text alone as the reference does, long texts cut as the reference's truncation cuts them", async () => {
    for (const key of textKeys) {
      const c = cosine(await service.embedText(reference.texts[key]), ref.texts[key]);
      expect({ key, agrees: c >= AGREE, c }).toMatchObject({ key, agrees: true });
    }
  });

  it("embeds image + text queries as the reference does", async () => {
    for (const [name, key, expected] of composedCases(family, reference)) {
      const { vector } = await service.embedComposed(images.get(name)!, reference.texts[key]);
      const c = cosine(vector, expected);
      expect({ name, key, agrees: c >= AGREE, c }).toMatchObject({ name, key, agrees: true });
    }
  });

  it("gives every item the same vector inside a mixed batch of images, texts and composed queries", async () => {
    const before = runsOf(service);
    const calls: [string, Promise<ArrayLike<number>>, number[]][] = [];
    for (const name of imageNames) calls.push([`image ${name}`, service.embedImage(images.get(name)!), ref.images[name].corrected]);
    for (const key of textKeys) calls.push([`text ${key}`, service.embedText(reference.texts[key]), ref.texts[key]]);
    for (const [name, key, expected] of composedCases(family, reference)) {
      calls.push([`composed ${name} ${key}`, service.embedComposed(images.get(name)!, reference.texts[key]).then((r) => r.vector), expected]);
    }
    const vectors = await Promise.all(calls.map((c) => c[1]));
    expect(runsOf(service) - before).toBeLessThan(calls.length); // items really shared runs
    const disagree = calls.map((c, i) => ({ what: c[0], c: cosine(vectors[i], c[2]) })).filter((r) => !(r.c >= AGREE));
    expect(disagree).toEqual([]);
  });
});
