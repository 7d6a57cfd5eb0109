// The int8 copy `models/visualized-bge/quantize.py` writes (committed: fixtures/models/visualized-bge-tiny-int8,
// made from the fp32 fixture by the reference harness) quantises activations per token, so mmrag batches it —
// and an item's vector must still be bit-identical alone or in any batch, and near the fp32 reference.
// Random weights: closeness here checks the rewrite is the same function, not int8's error on trained weights.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingService } from "../../src/services/embedding/index.js";
import type { VisualizedBgeEmbedder } from "../../src/services/embedding/visualized-bge.embedder.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { composedCases, cosine, decodeFixture, FIXTURES, openFixtureModel, readReference } from "./support.js";

const reference = await readReference();
const ref = reference["visualized-bge"];
const imageNames = Object.keys(reference.images).sort();
const textKeys = Object.keys(reference.texts).filter((k) => k !== "empty");
// int8 against the fp32 reference, per vector: lowest measured 0.99969 (a composed query) on these fixtures.
const NEAR_FP32 = 0.999;

describe("quantize.py's int8 Visualized-BGE", () => {
  let service: EmbeddingService;
  let cleanup: () => Promise<void>;
  const images = new Map<string, DecodedImage>();

  beforeAll(async () => {
    ({ service, cleanup } = await openFixtureModel("visualized-bge", path.join(FIXTURES, "models", "visualized-bge-tiny-int8"), { EMBED_MAX_BATCH: "16", EMBED_MAX_WAIT_MS: "50" }));
    for (const name of imageNames) images.set(name, await decodeFixture(name));
  });
  afterAll(async () => {
    await service?.close();
    await cleanup?.();
  });

  it("is run in batches, not one row at a time", async () => {
    const embedder = service as unknown as VisualizedBgeEmbedder;
    expect(await embedder.composed.runsRowByRow()).toBe(false);
    expect(await embedder.text.runsRowByRow()).toBe(false);
  });

  it("gives images, texts and composed queries the same vector alone as inside one mixed batch", async () => {
    const cases: [string, () => Promise<Float32Array>][] = [
      ...imageNames.map((name): [string, () => Promise<Float32Array>] => [`image ${name}`, () => service.embedImage(images.get(name)!)]),
      ...textKeys.map((key): [string, () => Promise<Float32Array>] => [`text ${key}`, () => service.embedText(reference.texts[key])]),
      ...composedCases("visualized-bge", reference).map(([name, key]): [string, () => Promise<Float32Array>] => [
        `composed ${name} ${key}`,
        async () => (await service.embedComposed(images.get(name)!, reference.texts[key])).vector,
      ]),
    ];
    const alone: Float32Array[] = [];
    for (const [, embed] of cases) alone.push(await embed());
    const embedder = service as unknown as VisualizedBgeEmbedder;
    const largestBefore = Math.max(embedder.composed.batcher.stats.largestBatch, embedder.text.batcher.stats.largestBatch);
    const batched = await Promise.all(cases.map(([, embed]) => embed()));
    expect(Math.max(embedder.composed.batcher.stats.largestBatch, embedder.text.batcher.stats.largestBatch)).toBeGreaterThan(Math.max(1, largestBefore));
    const moved = cases.map(([what], i) => ({ what, same: batched[i].every((v, j) => v === alone[i][j]) })).filter((c) => !c.same);
    expect(moved).toEqual([]);
  });

  it("stays near the fp32 reference's vectors", async () => {
    const far: { what: string; c: number }[] = [];
    for (const name of imageNames) {
      const c = cosine(await service.embedImage(images.get(name)!), ref.images[name].corrected);
      if (!(c >= NEAR_FP32)) far.push({ what: `image ${name}`, c });
    }
    for (const key of textKeys) {
      const c = cosine(await service.embedText(reference.texts[key]), ref.texts[key]);
      if (!(c >= NEAR_FP32)) far.push({ what: `text ${key}`, c });
    }
    for (const [name, key, expected] of composedCases("visualized-bge", reference)) {
      const c = cosine((await service.embedComposed(images.get(name)!, reference.texts[key])).vector, expected);
      if (!(c >= NEAR_FP32)) far.push({ what: `composed ${name} ${key}`, c });
    }
    expect(far).toEqual([]);
  });
});
