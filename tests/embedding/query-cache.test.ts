// A repeated query skips the model; anything that changes the query (bytes, instruction, weight) runs it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingService } from "../../src/services/embedding/index.js";
import { QueryEmbeddingCache } from "../../src/services/embedding/query-cache.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { decoded, makeJpeg } from "../support/images.js";
import { openGenerated, runsOf } from "./support.js";

describe("query embedding cache", () => {
  let model: EmbeddingService;
  let images: DecodedImage[];

  beforeAll(async () => {
    model = await openGenerated("clip-tiny", { EMBED_MAX_BATCH: "1" });
    images = await Promise.all([1, 2, 3].map(async (seed) => decoded(await makeJpeg(seed))));
  });
  afterAll(() => model?.close());

  it("answers a repeated composed query without running the model, with the model's own vector", async () => {
    const cache = new QueryEmbeddingCache(model, 8);
    const first = await cache.embedComposed(images[0], "phone case with this image theme");
    const runs = runsOf(model);
    const again = await cache.embedComposed(await decoded(Buffer.from(images[0].bytes)), "phone case with this image theme");
    expect(runsOf(model)).toBe(runs);
    expect(again).toEqual(first);
    expect(first.vector).toEqual((await model.embedComposed(images[0], "phone case with this image theme")).vector);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
  });

  it("runs the model for another image, instruction or image weight", async () => {
    const cache = new QueryEmbeddingCache(model, 8);
    await cache.embedComposed(images[0], "red");
    const runs = runsOf(model);
    const others = [
      await cache.embedComposed(images[1], "red"),
      await cache.embedComposed(images[0], "blue"),
      await cache.embedComposed(images[0], "red", { imageWeight: 0.8 }),
    ];
    expect(runsOf(model)).toBeGreaterThanOrEqual(runs + 3);
    expect(cache.stats.hits).toBe(0);
    expect(new Set(others.map((o) => o.vector.join(","))).size).toBe(3);
  });

  it("keeps at most `capacity` queries, evicting the least recently used", async () => {
    const cache = new QueryEmbeddingCache(model, 2);
    await cache.embedText("one");
    await cache.embedText("two");
    await cache.embedText("one"); // "two" is now the least recently used
    await cache.embedText("three");
    const runs = runsOf(model);
    await cache.embedText("one");
    expect(runsOf(model)).toBe(runs);
    await cache.embedText("two");
    expect(runsOf(model)).toBe(runs + 1);
  });

  it("shares one model run between identical concurrent queries", async () => {
    const cache = new QueryEmbeddingCache(model, 8);
    const runs = runsOf(model);
    const results = await Promise.all([0, 1, 2, 3].map(() => cache.embedImage(images[2])));
    expect(runsOf(model)).toBe(runs + 1);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it("does not remember failures, and hands out copies a caller cannot spoil", async () => {
    const cache = new QueryEmbeddingCache(model, 8);
    const notText = 42 as unknown as string;
    await expect(cache.embedText(notText)).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    await expect(cache.embedText(notText)).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
    expect(cache.stats).toEqual({ hits: 0, misses: 2 });
    const v = await cache.embedText("leopard");
    const kept = v.slice();
    v.fill(0);
    expect(await cache.embedText("leopard")).toEqual(kept);
  });
});
