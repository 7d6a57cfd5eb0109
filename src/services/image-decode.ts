// The gate every untrusted image passes before anything else sees it: sharp with pixel limits,
// strict decoding, and a short list of formats we accept.
import { createHash } from "node:crypto";
import sharp, { type Metadata, type Sharp } from "sharp";
import { PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors.js";

export const ACCEPTED_FORMATS = ["jpeg", "png", "webp", "gif", "tiff", "avif", "heif"] as const;
export type ImageFormat = (typeof ACCEPTED_FORMATS)[number];

export const MIME_TYPES: Record<ImageFormat, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  tiff: "image/tiff",
  avif: "image/avif",
  heif: "image/heif",
};

export interface DecodeLimits {
  maxPixels: number;
}

/**
 * A sharp pipeline over untrusted bytes: first frame only, EXIF orientation applied,
 * decoding fails on truncated or corrupt data instead of returning grey pixels.
 */
export function openImage(input: Buffer, limits: DecodeLimits): Sharp {
  return sharp(input, { failOn: "truncated", limitInputPixels: limits.maxPixels, pages: 1, page: 0, sequentialRead: true }).rotate();
}

export interface ImageHeader {
  meta: Metadata;
  format: ImageFormat;
  /** Size as a person sees it, after EXIF orientation (the first frame of an animation). */
  width: number;
  height: number;
}

/** The header checks, without decoding the pixels: readable, an accepted format, within the pixel limit, not empty. */
export async function readImageHeader(input: Buffer, limits: DecodeLimits): Promise<ImageHeader> {
  if (input.length === 0) throw new UnsupportedMediaTypeError("The image is empty (0 bytes)");
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw new UnsupportedMediaTypeError("The file is not an image we can read (accepted: JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIF)");
  }
  const format = normaliseFormat(meta.format);
  if (!format) {
    throw new UnsupportedMediaTypeError(`Image format ${JSON.stringify(meta.format)} is not accepted (accepted: ${ACCEPTED_FORMATS.join(", ")})`, {
      format: meta.format,
    });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > limits.maxPixels) {
    throw new PayloadTooLargeError(`The image is ${width}×${height} pixels, more than the limit of ${limits.maxPixels}`, {
      maxPixels: limits.maxPixels,
    });
  }
  if (width === 0 || height === 0) throw new UnsupportedMediaTypeError("The image has no pixels");
  const swapped = (meta.orientation ?? 1) >= 5;
  return { meta, format, width: swapped ? height : width, height: swapped ? width : height };
}

/** The catalogue id of an image: the sha256 of its bytes, so the same picture is stored once. */
export function contentHash(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The one decode: header checks, then the pixels, upright and in sRGB. A corrupt or truncated body fails
 * here with UNSUPPORTED_MEDIA_TYPE, before anything is stored or embedded. `id` skips re-hashing bytes
 * whose id is already known (a catalogue image used as a query).
 */
export async function decodeImage(bytes: Buffer, limits: DecodeLimits, id?: string): Promise<DecodedImage> {
  const { format } = await readImageHeader(bytes, limits);
  try {
    const { data, info } = await openImage(bytes, limits).toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`unexpected ${info.channels}-channel layout`);
    return { id: id ?? contentHash(bytes), bytes, format, width: info.width, height: info.height, channels: info.channels, pixels: data };
  } catch (err) {
    throw new UnsupportedMediaTypeError(`The image could not be decoded: ${describeSharpError(err)}`);
  }
}

/** A sharp pipeline over decoded pixels (no second decode). */
export function fromPixels(image: DecodedImage): Sharp {
  return sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

function normaliseFormat(format: string | undefined): ImageFormat | undefined {
  if (format === "jpg") return "jpeg";
  if (format === "heic") return "heif";
  return (ACCEPTED_FORMATS as readonly string[]).includes(format ?? "") ? (format as ImageFormat) : undefined;
}

function describeSharpError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // sharp prefixes libvips' messages with the input name and a newline; the first line is enough.
  return message.split("\n")[0].replace(/^Input (buffer|file) /, "") || "unknown decoder error";
}

/**
 * An untrusted image decoded once at the gate; preprocessing, thumbnails and panoramas all take this value.
 * `pixels` are upright (EXIF applied), sRGB, 8-bit, interleaved HWC, first frame only; 4 channels (alpha
 * not premultiplied) when the image has transparency, else 3.
 */
export interface DecodedImage {
  /** sha256 of `bytes`, hex: the catalogue id. */
  id: string;
  /** The original file, as stored and served. */
  bytes: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
  channels: 3 | 4;
  pixels: Buffer;
}
