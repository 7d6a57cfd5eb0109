// Preprocessing numerics against values computed here from the published CLIP/EVA constants. Exact
// agreement with PIL/torchvision/Hugging Face is tested in tests/parity against the reference run.
import sharp, { type Color } from "sharp";
import { describe, expect, it } from "vitest";
import { cropOffset, modelInput, modelPixels as modelPixelsOf, resizedSize, type PixelSpec } from "../../src/services/embedding/model-input.js";
import { decodeImage } from "../../src/services/image-decode.js";

// Bytes through the one decode, then preprocessing: the path every image takes.
const modelPixels = async (bytes: Buffer, spec: PixelSpec, maxPixels: number) => {
  const image = await decodeImage(bytes, { maxPixels });
  return Buffer.from(modelPixelsOf(image.pixels, image.width, image.height, image.channels, spec));
};
const preprocessImage = async (bytes: Buffer, spec: PixelSpec, maxPixels: number) => {
  const image = await decodeImage(bytes, { maxPixels });
  return modelInput(image.pixels, image.width, image.height, image.channels, spec);
};

const MEAN = [0.48145466, 0.4578275, 0.40821073];
const STD = [0.26862954, 0.26130258, 0.27577711];
const SPEC: PixelSpec = { size: 224, resizeShortestEdge: 224, mean: MEAN, std: STD, cropRounding: "round-half-even" };
const MAX_PIXELS = 50_000_000;
const PLANE = 224 * 224;

const expected = (rgb: number[]) => rgb.map((v, c) => (v / 255 - MEAN[c]) / STD[c]);
const solid = (width: number, height: number, background: Color, channels: 3 | 4 = 3) => sharp({ create: { width, height, channels, background } });

/** Pixel (row, col) of the HWC crop. */
const at = (pixels: Buffer, row: number, col: number) => Array.from(pixels.subarray((row * 224 + col) * 3, (row * 224 + col) * 3 + 3));

function expectAllPixels(pixels: Buffer, rgb: number[], tolerance: number) {
  for (let i = 0; i < pixels.length; i += 3) {
    for (let c = 0; c < 3; c++) if (Math.abs(pixels[i + c] - rgb[c]) > tolerance) throw new Error(`pixel ${i / 3} channel ${c} is ${pixels[i + c]}, expected ${rgb[c]}±${tolerance}`);
  }
}

describe("image preprocessing", () => {
  it("normalises a solid colour to (v/255 − mean)/std in CHW order", async () => {
    const png = await solid(300, 200, { r: 200, g: 100, b: 50 }).png().toBuffer();
    const tensor = await preprocessImage(png, SPEC, MAX_PIXELS);
    expect(tensor).toHaveLength(3 * PLANE);
    const [r, g, b] = expected([200, 100, 50]);
    for (const i of [0, 1234, PLANE - 1]) {
      expect(tensor[i]).toBeCloseTo(r, 5);
      expect(tensor[PLANE + i]).toBeCloseTo(g, 5);
      expect(tensor[2 * PLANE + i]).toBeCloseTo(b, 5);
    }
  });

  it("keeps every pixel of a 224×224 image in place (HWC → CHW, no resampling)", async () => {
    const raw = Buffer.alloc(PLANE * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 256;
    const png = await sharp(raw, { raw: { width: 224, height: 224, channels: 3 } }).png().toBuffer();
    const tensor = await preprocessImage(png, SPEC, MAX_PIXELS);
    for (const p of [0, 1, 223, 224, 5000, PLANE - 1]) {
      for (let c = 0; c < 3; c++) expect(tensor[c * PLANE + p]).toBeCloseTo((raw[p * 3 + c] / 255 - MEAN[c]) / STD[c], 5);
    }
  });

  it("resizes the shorter side to 224 (long side truncated, as torchvision) and crops the centre", async () => {
    expect(resizedSize(600, 400, 224)).toEqual({ width: 336, height: 224 });
    expect(resizedSize(1000, 750, 224)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(225, 1000, 224)).toEqual({ width: 224, height: 995 });
    // 600×400 with red 80-pixel side bands: after the resize (→336×224) the centre crop drops x < 56 and x ≥ 280,
    // which holds the bands (≤ 45 px wide now) with room for the cubic kernel. A left-aligned crop or a "contain" would show red.
    const raw = Buffer.alloc(600 * 400 * 3);
    for (let y = 0; y < 400; y++) {
      for (let x = 0; x < 600; x++) {
        const red = x < 80 || x >= 520;
        raw.set(red ? [255, 0, 0] : [0, 200, 0], (y * 600 + x) * 3);
      }
    }
    const png = await sharp(raw, { raw: { width: 600, height: 400, channels: 3 } }).png().toBuffer();
    expectAllPixels(await modelPixels(png, SPEC, MAX_PIXELS), [0, 200, 0], 1);
  });

  it("rounds the centre-crop offset as each reference does: torchvision half to even, Hugging Face's CLIP down", () => {
    // 800×607 → 295×224: (295 − 224)/2 = 35.5
    expect(resizedSize(800, 607, 224)).toEqual({ width: 295, height: 224 });
    expect(cropOffset(295, 224, "round-half-even")).toBe(36);
    expect(cropOffset(295, 224, "floor")).toBe(35);
    expect(cropOffset(293, 224, "round-half-even")).toBe(34); // 34.5 → 34
    expect(cropOffset(293, 224, "floor")).toBe(34);
    expect(cropOffset(298, 224, "round-half-even")).toBe(37);
  });

  it("applies EXIF orientation before cropping", async () => {
    // Stored 324×224 with the left 100 columns red; orientation 6 shows it rotated 90° clockwise: 224×324,
    // top 100 rows red. The centre crop (top = 50) then has red rows 0..49 and green below.
    const raw = Buffer.alloc(324 * 224 * 3);
    for (let y = 0; y < 224; y++) for (let x = 0; x < 324; x++) raw.set(x < 100 ? [255, 0, 0] : [0, 255, 0], (y * 324 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 324, height: 224, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toBuffer();
    const pixels = await modelPixels(jpeg, SPEC, MAX_PIXELS);
    const near = (p: number[], rgb: number[]) => p.every((v, c) => Math.abs(v - rgb[c]) < 12);
    expect(near(at(pixels, 10, 112), [255, 0, 0])).toBe(true);
    expect(near(at(pixels, 10, 5), [255, 0, 0])).toBe(true);
    expect(near(at(pixels, 200, 112), [0, 255, 0])).toBe(true);
  });

  it("flattens transparency onto white", async () => {
    const transparent = await solid(64, 64, { r: 0, g: 0, b: 0, alpha: 0 }, 4).png().toBuffer();
    expectAllPixels(await modelPixels(transparent, SPEC, MAX_PIXELS), [255, 255, 255], 0);
    // Black at alpha 128/255 over white: 255 × (1 − 128/255) = 127.
    const half = await sharp(Buffer.from(new Array(64 * 64).fill([0, 0, 0, 128]).flat()), { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
    expectAllPixels(await modelPixels(half, SPEC, MAX_PIXELS), [127, 127, 127], 1);
  });

  it("turns grayscale, 16-bit, palette and CMYK images into 8-bit sRGB with three channels", async () => {
    const base = () => solid(300, 240, { r: 200, g: 100, b: 50 });
    const gray = await solid(300, 240, { r: 90, g: 90, b: 90 }).toColourspace("b-w").png().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    expectAllPixels(await modelPixels(gray, SPEC, MAX_PIXELS), [90, 90, 90], 0);

    const deep = await base().toColourspace("rgb16").png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe("ushort");
    expectAllPixels(await modelPixels(deep, SPEC, MAX_PIXELS), [200, 100, 50], 1);

    const palette = await base().png({ palette: true }).toBuffer();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    expectAllPixels(await modelPixels(palette, SPEC, MAX_PIXELS), [200, 100, 50], 2);

    const cmyk = await base().toColourspace("cmyk").jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    // CMYK → sRGB goes through colour profiles, so only roughly the same colour comes back.
    expectAllPixels(await modelPixels(cmyk, SPEC, MAX_PIXELS), [200, 100, 50], 30);
  });

  it("uses the first frame of an animated GIF", async () => {
    const frame = (background: Color) => solid(240, 240, background).png().toBuffer();
    const gif = await sharp([await frame("#ff0000"), await frame("#0000ff")], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    expectAllPixels(await modelPixels(gif, SPEC, MAX_PIXELS), [255, 0, 0], 8);
  });

  it("rejects bad input with typed errors", async () => {
    const jpeg = await solid(320, 240, "#336699").jpeg().toBuffer();
    const codeOf = (p: Promise<unknown>) => p.then(() => "resolved", (e) => e.code ?? e.message);
    expect(await codeOf(modelPixels(Buffer.alloc(0), SPEC, MAX_PIXELS))).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(await codeOf(modelPixels(Buffer.from("definitely not an image"), SPEC, MAX_PIXELS))).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(await codeOf(modelPixels(jpeg.subarray(0, Math.floor(jpeg.length / 2)), SPEC, MAX_PIXELS))).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(await codeOf(modelPixels(jpeg, SPEC, 320 * 240 - 1))).toBe("PAYLOAD_TOO_LARGE");
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect(await codeOf(modelPixels(svg, SPEC, MAX_PIXELS))).toBe("UNSUPPORTED_MEDIA_TYPE");
  });
});
