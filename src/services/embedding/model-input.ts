// Decoded pixels → the CHW float32 tensor a vision tower takes, computed as the reference pipelines do:
// PIL's bicubic resize with its fixed-point arithmetic (ImagingResample, 22 fractional bits, a uint8 round
// trip between the horizontal and the vertical pass), then torchvision's or Hugging Face's centre crop,
// then (x/255 − mean)/std in float32 as torchvision's ToTensor + Normalize do.
//
// Every function here is self-contained (no imports, no closures, no nested functions): the ONNX worker
// thread runs them from their source text, so a large photo is resized off the event loop.

export interface PixelSpec {
  size: number;
  resizeShortestEdge: number;
  mean: readonly number[];
  std: readonly number[];
  /** "round-half-even": torchvision's CenterCrop (Visualized-BGE); "floor": Hugging Face's CLIPImageProcessor. */
  cropRounding: "round-half-even" | "floor";
}

/** RGBA (straight alpha) → RGB over white, rounded to nearest; RGB is returned as it is. */
export function flattenOnWhite(pixels: Uint8Array, channels: number): Uint8Array {
  if (channels === 3) return pixels;
  const count = pixels.length / 4;
  const out = new Uint8Array(count * 3);
  for (let i = 0, j = 0, k = 0; i < count; i++, j += 4, k += 3) {
    const a = pixels[j + 3];
    const white = 255 * (255 - a) + 127;
    out[k] = ((pixels[j] * a + white) / 255) | 0;
    out[k + 1] = ((pixels[j + 1] * a + white) / 255) | 0;
    out[k + 2] = ((pixels[j + 2] * a + white) / 255) | 0;
  }
  return out;
}

/**
 * PIL's precompute_coeffs + normalize_coeffs_8bpc for the bicubic filter (a = −0.5, support 2): for each
 * output index, the first input index, the tap count, and `ksize` fixed-point weights.
 */
export function bicubicCoefficients(inSize: number, outSize: number): { bounds: Int32Array; weights: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = 2 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      let t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      const w = t < 1 ? (1.5 * t - 2.5) * t * t + 1 : t < 2 ? (((t - 5) * t + 8) * t - 4) * -0.5 : 0;
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax ? (ww !== 0 ? k[x] / ww : k[x]) : 0;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * 4194304) : Math.trunc(0.5 + w * 4194304);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

/**
 * The `size`×`size` window at (`left`, `top`) of PIL's `resize((outWidth, outHeight), BICUBIC)` of an RGB
 * image, computed for that window only (each output pixel depends only on its own taps, so the values are
 * the full resize's).
 */
export function resizeWindow(
  rgb: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  left: number,
  top: number,
  size: number,
): Uint8Array {
  const horizontal = outWidth !== width;
  const vertical = outHeight !== height;
  const h = bicubicCoefficients(width, outWidth);
  const v = bicubicCoefficients(height, outHeight);
  // Source rows the window needs.
  const firstRow = vertical ? v.bounds[top * 2] : top;
  const lastRow = vertical ? v.bounds[(top + size - 1) * 2] + v.bounds[(top + size - 1) * 2 + 1] : top + size;
  const rows = lastRow - firstRow;
  // Horizontal pass: rows firstRow..lastRow, window columns only; uint8 (clipped) as PIL stores it.
  const temp = new Uint8Array(rows * size * 3);
  for (let y = 0; y < rows; y++) {
    const src = (firstRow + y) * width * 3;
    for (let c = 0; c < size; c++) {
      const xx = left + c;
      const o = (y * size + c) * 3;
      if (!horizontal) {
        temp[o] = rgb[src + xx * 3];
        temp[o + 1] = rgb[src + xx * 3 + 1];
        temp[o + 2] = rgb[src + xx * 3 + 2];
        continue;
      }
      const xmin = h.bounds[xx * 2];
      const xmax = h.bounds[xx * 2 + 1];
      const kb = xx * h.ksize;
      let s0 = 2097152;
      let s1 = 2097152;
      let s2 = 2097152;
      for (let x = 0, p = src + xmin * 3; x < xmax; x++, p += 3) {
        const w = h.weights[kb + x];
        s0 += rgb[p] * w;
        s1 += rgb[p + 1] * w;
        s2 += rgb[p + 2] * w;
      }
      s0 >>= 22;
      s1 >>= 22;
      s2 >>= 22;
      temp[o] = s0 < 0 ? 0 : s0 > 255 ? 255 : s0;
      temp[o + 1] = s1 < 0 ? 0 : s1 > 255 ? 255 : s1;
      temp[o + 2] = s2 < 0 ? 0 : s2 > 255 ? 255 : s2;
    }
  }
  if (!vertical) return temp;
  const out = new Uint8Array(size * size * 3);
  for (let r = 0; r < size; r++) {
    const yy = top + r;
    const ymin = v.bounds[yy * 2] - firstRow;
    const ymax = v.bounds[yy * 2 + 1];
    const kb = yy * v.ksize;
    for (let c = 0; c < size; c++) {
      let s0 = 2097152;
      let s1 = 2097152;
      let s2 = 2097152;
      for (let y = 0, p = (ymin * size + c) * 3; y < ymax; y++, p += size * 3) {
        const w = v.weights[kb + y];
        s0 += temp[p] * w;
        s1 += temp[p + 1] * w;
        s2 += temp[p + 2] * w;
      }
      s0 >>= 22;
      s1 >>= 22;
      s2 >>= 22;
      const o = (r * size + c) * 3;
      out[o] = s0 < 0 ? 0 : s0 > 255 ? 255 : s0;
      out[o + 1] = s1 < 0 ? 0 : s1 > 255 ? 255 : s1;
      out[o + 2] = s2 < 0 ? 0 : s2 > 255 ? 255 : s2;
    }
  }
  return out;
}

/** Output size of torchvision's Resize(shortest) and Hugging Face's shortest_edge resize: the long side is truncated. */
export function resizedSize(width: number, height: number, shortest: number): { width: number; height: number } {
  if (width <= height) return { width: shortest, height: Math.floor((shortest * height) / width) };
  return { width: Math.floor((shortest * width) / height), height: shortest };
}

/** Centre-crop offset: torchvision rounds (size − crop)/2 half to even, Hugging Face floors it. */
export function cropOffset(resized: number, crop: number, rounding: PixelSpec["cropRounding"]): number {
  const half = (resized - crop) / 2;
  if (rounding === "floor") return Math.floor(half);
  const r = Math.round(half);
  return half % 1 === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The size×size RGB pixels (HWC) the model sees: flattened, shorter side resized, centre-cropped. */
export function modelPixels(pixels: Uint8Array, width: number, height: number, channels: number, spec: PixelSpec): Uint8Array {
  if (spec.resizeShortestEdge < spec.size) throw new Error(`resizeShortestEdge ${spec.resizeShortestEdge} is smaller than the crop ${spec.size}`);
  const resized = resizedSize(width, height, spec.resizeShortestEdge);
  const left = cropOffset(resized.width, spec.size, spec.cropRounding);
  const top = cropOffset(resized.height, spec.size, spec.cropRounding);
  return resizeWindow(flattenOnWhite(pixels, channels), width, height, resized.width, resized.height, left, top, spec.size);
}

/** HWC uint8 RGB → CHW float32, (x/255 − mean)/std rounded to float32 at each step as torchvision does. */
export function normalisePixels(rgb: Uint8Array, spec: PixelSpec): Float32Array {
  const plane = rgb.length / 3;
  const out = new Float32Array(rgb.length);
  const lut = new Float32Array(256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(spec.mean[c]);
    const std = Math.fround(spec.std[c]);
    for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(Math.fround(v / 255) - mean) / std);
    for (let i = 0, j = c; i < plane; i++, j += 3) out[c * plane + i] = lut[rgb[j]];
  }
  return out;
}

export function modelInput(pixels: Uint8Array, width: number, height: number, channels: number, spec: PixelSpec): Float32Array {
  return normalisePixels(modelPixels(pixels, width, height, channels, spec), spec);
}

/** Source text of the functions above, for the worker thread. */
export const MODEL_INPUT_SOURCE = [flattenOnWhite, bicubicCoefficients, resizeWindow, resizedSize, cropOffset, modelPixels, normalisePixels, modelInput].map((f) => f.toString()).join("\n");
