// Decoded pixels → the CHW float32 tensor CLIP-style vision towers expect:
// alpha flattened on white, bicubic shorter-side
// resize, centre crop, (x/255 − mean)/std.
import { fromPixels, type DecodedImage } from "../image-decode.js";

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

/** The cropped RGB pixels (HWC, 8-bit) the model sees, from the gate's decoded pixels; exported for tests and the benchmark. */
export async function modelPixels(image: DecodedImage, spec: ImageSpec): Promise<Buffer> {
  const resized = resizedSize(image.width, image.height, spec.resizeShortestEdge);
  const left = roundHalfEven((resized.width - spec.size) / 2);
  const top = roundHalfEven((resized.height - spec.size) / 2);
  const { data, info } = await fromPixels(image)
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .resize(resized.width, resized.height, { fit: "fill", kernel: "cubic" })
    .extract({ left, top, width: spec.size, height: spec.size })
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== spec.size * spec.size * 3) {
    throw new Error(`unexpected preprocessed layout: ${info.width}×${info.height}×${info.channels}`);
  }
  return data;
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

export async function preprocessImage(image: DecodedImage, spec: ImageSpec): Promise<Float32Array> {
  return normalisePixels(await modelPixels(image, spec), spec);
}
