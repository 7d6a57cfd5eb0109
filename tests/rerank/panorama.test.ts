// The panorama the LLM reads: real JPEGs decoded by sharp, checked pixel by pixel where it matters.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { pino } from "pino";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { PanoramaService } from "../../src/services/panorama/index.js";
import { layoutFor } from "../../src/services/panorama/layout.js";
import { LocalBlobStore } from "../../src/services/storage/local-blob-store.js";
import { decoded, makeJpeg, makePng } from "../support/images.js";
import { tempDir } from "../support/server.js";

const logger = pino({ level: "silent" });
const services: PanoramaService[] = [];
afterEach(() => services.splice(0).forEach((s) => s.close()));

async function service(ttlMs = 60_000) {
  const dir = await tempDir("mmrag-panorama-");
  const s = new PanoramaService({ store: new LocalBlobStore(dir), ttlMs, logger });
  services.push(s);
  // Candidates named by a hash of their bytes, as catalogue images are; `undefined` is one that cannot be read.
  const draw = async (query: Buffer, candidates: (Buffer | undefined)[]) =>
    s.panoramaFor(
      await decoded(query),
      candidates.map((bytes, i) => ({ id: bytes ? createHash("sha256").update(bytes).digest("hex") : `missing-${i}`, load: async () => (bytes ? decoded(bytes) : undefined) })),
    );
  const fileOf = (id: string) => path.join(dir, `${id}.jpg`);
  return { s, dir, draw, fileOf };
}

async function pixels(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return (x: number, y: number) => {
    const i = (y * info.width + x) * info.channels;
    return [data[i], data[i + 1], data[i + 2]];
  };
}

const isBlue = ([r, g, b]: number[]) => b > 200 && r < 60 && g < 60;
const isRed = ([r, g, b]: number[]) => r > 200 && g < 60 && b < 60;
const isWhite = ([r, g, b]: number[]) => r > 235 && g > 235 && b > 235;

describe("panorama", () => {
  it("draws the seed's layout: query with a blue border on the left, 9 candidates in a 3 × 3 grid of 300 px tiles", async () => {
    const { draw } = await service();
    const candidates = await Promise.all(Array.from({ length: 9 }, (_, i) => makeJpeg(i + 2, 400, 300)));
    const panorama = await draw(await makeJpeg(1, 640, 480), candidates);

    expect(panorama).toMatchObject({ width: 1200, height: 900, tile: 300, columns: 3, rows: 3, unreadable: [] });
    const meta = await sharp(panorama.jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 1200, 900]);

    const at = await pixels(panorama.jpeg);
    expect(isBlue(at(3, 3))).toBe(true); // query border, all four sides
    expect(isBlue(at(296, 150))).toBe(true);
    expect(isBlue(at(150, 296))).toBe(true);
    // Each candidate's label: white box in the tile's top-left with red strokes inside it.
    for (let i = 0; i < 9; i++) {
      const left = 300 * (1 + (i % 3));
      const top = 300 * Math.floor(i / 3);
      expect(isWhite(at(left + 8, top + 8)), `label box of ${i}`).toBe(true);
      let red = 0;
      for (let y = top + 10; y < top + 52; y++) for (let x = left + 10; x < left + 40; x++) if (isRed(at(x, y))) red++;
      expect(red, `red index strokes of ${i}`).toBeGreaterThan(40);
    }
    // The "query" label under the query tile is blue.
    let blueLabel = 0;
    for (let y = 305; y < 350; y++) for (let x = 5; x < 150; x++) if (isBlue(at(x, y))) blueLabel++;
    expect(blueLabel).toBeGreaterThan(50);
  });

  it("sizes the grid from the number of candidates", () => {
    expect(layoutFor(1)).toMatchObject({ columns: 1, rows: 1, width: 600, height: 360 });
    expect(layoutFor(4)).toMatchObject({ columns: 2, rows: 2, width: 900, height: 600 });
    expect(layoutFor(10)).toMatchObject({ columns: 4, rows: 3, width: 1500, height: 900 });
    expect(layoutFor(100)).toMatchObject({ columns: 10, rows: 10 });
    expect(() => layoutFor(0)).toThrow();
  });

  it("takes PNGs with alpha, and draws an unreadable stored image as a grey tile instead of failing", async () => {
    const { draw } = await service();
    const panorama = await draw(await makePng(1), [await makePng(2), undefined, await makeJpeg(3)]);
    expect(panorama.unreadable).toEqual([1]);
    const at = await pixels(panorama.jpeg);
    const [r, g, b] = at(300 * 2 + 150, 150); // the middle of tile 1 (columns = 2)
    expect(Math.abs(r - 200) < 12 && Math.abs(g - 200) < 12 && Math.abs(b - 200) < 12).toBe(true);
  });

  it("writes one file per request, so concurrent searches never share one", async () => {
    const { s, draw, fileOf } = await service();
    const query = await makeJpeg(1);
    const drawn = await Promise.all(Array.from({ length: 6 }, async (_, i) => draw(query, [await makeJpeg(10 + i)])));
    expect(new Set(drawn.map((p) => p.id)).size).toBe(6);
    for (const p of drawn) {
      const opened = await s.open(p.id);
      expect(opened?.size).toBe(p.jpeg.length);
      opened?.body.destroy();
      expect(await fs.readFile(fileOf(p.id))).toEqual(p.jpeg);
    }
  });

  it("reuses the file of an identical earlier search instead of decoding, drawing and writing again", async () => {
    const { s, dir } = await service();
    const query = await decoded(await makeJpeg(1));
    let loads = 0;
    const candidates = [await makeJpeg(2), await makeJpeg(3)].map((bytes, i) => ({ id: `candidate-${i}`, load: async () => (loads++, decoded(bytes)) }));
    const first = await s.panoramaFor(query, candidates);
    const again = await s.panoramaFor(query, candidates);
    expect([first.drawn, again.drawn, loads]).toEqual([true, false, 2]);
    expect(again.id).toBe(first.id);
    expect(again.jpeg).toEqual(first.jpeg);
    expect(await fs.readdir(dir)).toHaveLength(1);
    // Another order of candidates is another panorama.
    expect((await s.panoramaFor(query, [...candidates].reverse())).id).not.toBe(first.id);
  });

  it("resolves only well-formed, existing, unexpired ids and sweeps expired files", async () => {
    const { s, dir, draw, fileOf } = await service(5_000);
    const p = await draw(await makeJpeg(1), [await makeJpeg(2)]);
    expect(await s.open("../../etc/passwd")).toBeUndefined();
    expect(await s.open("0".repeat(40))).toBeUndefined();

    const old = new Date(Date.now() - 10_000);
    await fs.utimes(fileOf(p.id), old, old);
    expect(await s.open(p.id)).toBeUndefined();
    const fresh = await draw(await makeJpeg(1), [await makeJpeg(3)]);
    expect(await s.sweep()).toBe(1);
    expect(await fs.readdir(dir)).toEqual([path.basename(fileOf(fresh.id))]);
  });
});
