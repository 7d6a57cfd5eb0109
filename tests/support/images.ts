// Real images for tests, made with sharp so every test knows exactly what it uploads.
import sharp from "sharp";
import { decodeImage, type DecodedImage } from "../../src/services/image-decode.js";

/** A JPEG whose pixels depend on `seed`, so different seeds give different bytes and different embeddings. */
export async function makeJpeg(seed: number, width = 320, height = 240): Promise<Buffer> {
  const channels = 3;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      pixels[i] = (x * (seed + 1) * 7) & 255;
      pixels[i + 1] = (y * (seed + 3) * 5) & 255;
      pixels[i + 2] = ((x + y) * (seed + 5) * 3) & 255;
    }
  }
  return sharp(pixels, { raw: { width, height, channels } }).jpeg({ quality: 90 }).toBuffer();
}

export async function makePng(seed: number, width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: seed * 40, g: 120, b: 200, alpha: 0.5 } } }).png().toBuffer();
}

/** Bytes through the server's one decode, as every embedder, thumbnail and panorama receives them. */
export function decoded(bytes: Buffer, maxPixels = 50_000_000): Promise<DecodedImage> {
  return decodeImage(bytes, { maxPixels });
}
