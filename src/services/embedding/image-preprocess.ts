// Untrusted image bytes → the CHW float32 tensor CLIP-style vision towers expect:
// first frame, EXIF orientation, alpha flattened on white, sRGB 8-bit RGB, bicubic shorter-side
// resize, centre crop, (x/255 − mean)/std.
import { PayloadTooLargeError, UnsupportedMediaTypeError } from "../../errors.js";
import { openImage, readImageHeader } from "../image-decode.js";

export interface ImageSpec {
  size: number;
  resizeShortestEdge: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Python's round(): halves go to the even neighbour (torchvision's centre crop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Output size of torchvision Resize(shortest): the short side becomes `shortest`, the long side is truncated. */
export function resizedSize(width: number, height: number, shortest: number): { width: number; height: number } {
  if (width <= height) return { width: shortest, height: Math.floor((shortest * height) / width) };
  return { width: Math.floor((shortest * width) / height), height: shortest };
}

/** The cropped RGB pixels (HWC, 8-bit) the model sees; exported for tests and the benchmark. */
export async function modelPixels(input: Buffer, spec: ImageSpec, maxPixels: number): Promise<Buffer> {
  const { width, height } = await readImageHeader(input, { maxPixels });
  const resized = resizedSize(width, height, spec.resizeShortestEdge);
  const left = roundHalfEven((resized.width - spec.size) / 2);
  const top = roundHalfEven((resized.height - spec.size) / 2);
  try {
    const { data, info } = await openImage(input, { maxPixels })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace("srgb")
      .resize(resized.width, resized.height, { fit: "fill", kernel: "cubic" })
      .extract({ left, top, width: spec.size, height: spec.size })
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== spec.size * spec.size * 3) {
      throw new Error(`unexpected decoded layout: ${info.width}×${info.height}×${info.channels}`);
    }
    return data;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split("\n")[0].replace(/^Input (buffer|file) /, "");
    if (/pixel limit/i.test(message)) throw new PayloadTooLargeError(`The image is larger than the limit of ${maxPixels} pixels`, { maxPixels });
    throw new UnsupportedMediaTypeError(`The image could not be decoded: ${message || "unknown decoder error"}`);
  }
}

/** HWC uint8 RGB → CHW float32, normalised per channel through a lookup table. */
export function normalisePixels(pixels: Uint8Array, spec: ImageSpec, out = new Float32Array(pixels.length), offset = 0): Float32Array {
  const plane = pixels.length / 3;
  for (let c = 0; c < 3; c++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - spec.mean[c]) / spec.std[c];
    const base = offset + c * plane;
    for (let i = 0, j = c; i < plane; i++, j += 3) out[base + i] = lut[pixels[j]];
  }
  return out;
}

export async function preprocessImage(input: Buffer, spec: ImageSpec, maxPixels: number): Promise<Float32Array> {
  return normalisePixels(await modelPixels(input, spec, maxPixels), spec);
}
