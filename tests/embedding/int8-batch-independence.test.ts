// An item's vector must not depend on what it was batched with — also for int8 graphs whose activation
// scale spans the whole batch tensor (how `quantize_dynamic` writes the published int8 CLIP files).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { loadEmbeddingService, type EmbeddingService } from "../../src/services/embedding/index.js";
import type { DecodedImage } from "../../src/services/image-decode.js";
import { decoded, makeJpeg } from "../support/images.js";
import { ensureGeneratedModel } from "../support/models.js";
import { dynamicInt8Copy } from "./dynamic-int8-model.js";
import { runsOf, silentLogger } from "./support.js";

describe.each(["clip-tiny", "vbge-tiny"] as const)("dynamic int8 %s", (kind) => {
  let service: EmbeddingService;
  let images: DecodedImage[];

  beforeAll(async () => {
    const folder = await dynamicInt8Copy(await ensureGeneratedModel(kind));
    const config = loadConfig({ MODELS_DIR: path.dirname(folder), MODEL: path.basename(folder), ORT_INTRA_OP_THREADS: "1", EMBED_MAX_BATCH: "8", EMBED_MAX_WAIT_MS: "50" });
    service = await loadEmbeddingService(config.model, { logger: silentLogger });
    // Bright, dark and busy images: their activations span very different ranges.
    images = await Promise.all([0, 1, 2, 3, 4, 5].map(async (seed) => decoded(await makeJpeg(seed * 13, 160 + seed * 9, 120 + seed * 7))));
  });
  afterAll(() => service?.close());

  it("gives an image the same vector alone as in a batch with other images", async () => {
    const alone = await service.embedImage(images[0]);
    const runsBefore = runsOf(service);
    const batched = await Promise.all(images.map((image) => service.embedImage(image)));
    expect(runsOf(service) - runsBefore).toBeLessThan(images.length); // they really were batched together
    expect(batched[0]).toEqual(alone);
  });

  it("gives a composed query and a text the same vector alone as in a mixed batch", async () => {
    const composedAlone = (await service.embedComposed(images[1], "a phone case with this image theme")).vector;
    const textAlone = await service.embedText("red shoes");
    const [composed, , text] = await Promise.all([
      service.embedComposed(images[1], "a phone case with this image theme"),
      service.embedComposed(images[4], "a much longer instruction about leopard print phone cases in bright colours"),
      service.embedText("red shoes"),
      service.embedText("an entirely different and rather longer text query"),
    ]);
    expect(composed.vector).toEqual(composedAlone);
    expect(text).toEqual(textAlone);
  });
});
