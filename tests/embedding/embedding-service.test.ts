// Both model families through loadEmbeddingService on tiny generated models (random weights: these
// tests check shapes, determinism, wiring and batching, never retrieval quality).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingService } from "../../src/services/embedding/index.js";
import type { VisualizedBgeEmbedder } from "../../src/services/embedding/visualized-bge.embedder.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { decoded, makeJpeg, makePng } from "../support/images.js";
import { dot, maxAbsDiff, openGenerated, runsOf } from "./support.js";

describe.each([
  { kind: "vbge-tiny" as const, family: "visualized-bge", dimension: 64, maxTextTokens: 316 },
  { kind: "clip-tiny" as const, family: "clip", dimension: 48, maxTextTokens: 77 },
])("$kind", ({ kind, family, dimension, maxTextTokens }) => {
  let service: EmbeddingService;
  let images: DecodedImage[];

  beforeAll(async () => {
    service = await openGenerated(kind, { EMBED_MAX_BATCH: "8", EMBED_MAX_WAIT_MS: "20" });
    images = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(async (seed) => decoded(await makeJpeg(seed, 200 + seed * 17, 150 + seed * 11))));
  });
  afterAll(() => service?.close());

  it("describes itself as a generated model", () => {
    expect(service.info).toMatchObject({ name: `generated-${kind}`, family, dimension, generated: true, source: "folder", maxTextTokens });
    expect(service.info.warning).toMatch(/GENERATED/);
  });

  it("returns unit-length vectors of the declared dimension, identical on every call", async () => {
    const image = await service.embedImage(images[0]);
    const text = await service.embedText("a phone case with this image theme");
    const composed = await service.embedComposed(images[0], "a phone case with this image theme");
    for (const v of [image, text, composed.vector]) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(dimension);
      expect(dot(v, v)).toBeCloseTo(1, 5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(await service.embedImage(images[0])).toEqual(image);
    expect(await service.embedText("a phone case with this image theme")).toEqual(text);
    expect((await service.embedComposed(images[0], "a phone case with this image theme")).vector).toEqual(composed.vector);
    expect(composed).toMatchObject({ truncated: false, textTokens: 9 });
  });

  it("gives different vectors for image-only, text-only, composed, other images and other instructions", async () => {
    const image = await service.embedImage(images[1]);
    const text = await service.embedText("red shoes");
    const composed = (await service.embedComposed(images[1], "red shoes")).vector;
    const otherImage = await service.embedImage(images[2]);
    const otherInstruction = (await service.embedComposed(images[1], "a blue phone case")).vector;
    const vectors = [image, text, composed, otherImage, otherInstruction];
    for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) expect(maxAbsDiff(vectors[i], vectors[j])).toBeGreaterThan(1e-3);
  });

  it("reports truncation past the composed text cap", async () => {
    const long = Array.from({ length: 400 }, () => "theme").join(" ");
    const result = await service.embedComposed(images[0], long);
    expect(result).toMatchObject({ truncated: true, textTokens: maxTextTokens });
    expect(result.vector).toHaveLength(dimension);
    // Everything past the cap is dropped: more words change nothing.
    expect((await service.embedComposed(images[0], `${long} ${long}`)).vector).toEqual(result.vector);
  });

  it("batches concurrent requests without cross-talk", async () => {
    const instructions = images.map((_, i) => `instruction number ${i} ${"word ".repeat(i * 3)}`);
    const alone: Float32Array[] = [];
    for (let i = 0; i < images.length; i++) alone.push((await service.embedComposed(images[i], instructions[i])).vector);
    const aloneTexts: Float32Array[] = [];
    for (const t of instructions) aloneTexts.push(await service.embedText(t));

    const before = runsOf(service);
    const [together, togetherTexts] = await Promise.all([
      Promise.all(images.map((img, i) => service.embedComposed(img, instructions[i]).then((r) => r.vector))),
      Promise.all(instructions.map((t) => service.embedText(t))),
    ]);
    const runs = runsOf(service) - before;
    // CLIP composed = one vision and one text embedding per call; Visualized-BGE = one composed run.
    const calls = family === "clip" ? images.length * 2 + instructions.length : images.length + instructions.length;
    expect(runs).toBeLessThan(calls / 2);
    for (let i = 0; i < images.length; i++) {
      // Same numbers up to float rounding of a bigger matrix multiply, and each caller's nearest solo vector is its own.
      expect(maxAbsDiff(together[i], alone[i])).toBeLessThan(1e-4);
      expect(maxAbsDiff(togetherTexts[i], aloneTexts[i])).toBeLessThan(1e-4);
      const nearest = alone.map((a) => dot(a, together[i])).reduce((best, s, j, all) => (s > all[best] ? j : best), 0);
      expect(nearest).toBe(i);
    }
  });

  it("embeds PNGs with transparency and odd sizes", async () => {
    const v = await service.embedImage(await decoded(await makePng(3, 7, 500)));
    expect(v).toHaveLength(dimension);
  });

  it("rejects bad images at the gate with typed errors and keeps serving", async () => {
    const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e) => e.code ?? e.message);
    const jpeg = images[0].bytes;
    const results = await Promise.all([
      codeOf(decoded(Buffer.alloc(0)).then((d) => service.embedImage(d))),
      codeOf(decoded(Buffer.from("hello, I am text")).then((d) => service.embedImage(d))),
      codeOf(decoded(jpeg.subarray(0, Math.floor(jpeg.length / 2))).then((d) => service.embedImage(d))),
      codeOf(decoded(Buffer.from("nope")).then((d) => service.embedComposed(d, "with text"))),
      service.embedImage(images[3]).then((v) => v.length),
    ]);
    expect(results).toEqual(["UNSUPPORTED_MEDIA_TYPE", "UNSUPPORTED_MEDIA_TYPE", "UNSUPPORTED_MEDIA_TYPE", "UNSUPPORTED_MEDIA_TYPE", dimension]);
  });
});

describe("limits and options", () => {
  it("refuses images over the pixel limit with PAYLOAD_TOO_LARGE", async () => {
    const service = await openGenerated("vbge-tiny", {});
    try {
      await expect(decoded(await makeJpeg(1, 320, 240), 10_000).then((d) => service.embedImage(d))).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
      expect(await service.embedImage(await decoded(await makeJpeg(1, 100, 100), 10_000))).toHaveLength(64);
    } finally {
      await service.close();
    }
  });

  it("CLIP composes with imageWeight: 1 → the image vector, 0 → the text vector", async () => {
    const service = await openGenerated("clip-tiny");
    try {
      const img = await decoded(await makeJpeg(4));
      const image = await service.embedImage(img);
      const text = await service.embedText("a red bag");
      expect(maxAbsDiff((await service.embedComposed(img, "a red bag", { imageWeight: 1 })).vector, image)).toBeLessThan(1e-6);
      expect(maxAbsDiff((await service.embedComposed(img, "a red bag", { imageWeight: 0 })).vector, text)).toBeLessThan(1e-6);
      const half = (await service.embedComposed(img, "a red bag")).vector;
      const sum = image.map((v, i) => v + text[i]);
      const norm = Math.hypot(...sum);
      expect(maxAbsDiff(half, sum.map((v) => v / norm))).toBeLessThan(1e-6);
    } finally {
      await service.close();
    }
  });

  it("keeps a run within EMBED_MAX_BATCH_TOKENS: image rows (196 tokens + text) two at a time, short texts together", async () => {
    const service = await openGenerated("vbge-tiny", { EMBED_MAX_BATCH: "8", EMBED_MAX_WAIT_MS: "50", EMBED_MAX_BATCH_TOKENS: "512" });
    try {
      const embedder = service as unknown as VisualizedBgeEmbedder;
      const imgs = await Promise.all([1, 2, 3, 4, 5, 6].map(async (seed) => decoded(await makeJpeg(seed, 96, 72))));
      const alone = [];
      for (const img of imgs) alone.push(await service.embedImage(img));
      const [together] = await Promise.all([Promise.all(imgs.map((img) => service.embedImage(img))), Promise.all(["a", "red", "bag", "of", "shoes", "now"].map((t) => service.embedText(t)))]);
      expect(embedder.composed.batcher.stats.largestBatch).toBe(2);
      expect(embedder.text.batcher.stats.largestBatch).toBe(6);
      for (let i = 0; i < imgs.length; i++) expect(maxAbsDiff(together[i], alone[i])).toBeLessThan(1e-4);
    } finally {
      await service.close();
    }
  });

  it("close() waits for queued work, then refuses new work", async () => {
    const service = await openGenerated("vbge-tiny", { EMBED_MAX_WAIT_MS: "50" });
    const pending = service.embedText("queued before close");
    await service.close();
    expect(await pending).toHaveLength(64);
    await expect(service.embedText("after close")).rejects.toThrow(/closed/);
  });
});
