// Until the gate's decodeImage(bytes, limits) lands: a DecodedImage made the way the gate makes it
// (EXIF orientation applied, sRGB, 8-bit, alpha kept), for tests that embed images.
import crypto from "node:crypto";
import sharp from "sharp";
import type { DecodedImage, ImageFormat } from "../../src/services/image-decode.js";

export async function decodeForTest(bytes: Buffer): Promise<DecodedImage> {
  const meta = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes, { pages: 1 }).rotate().toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`unexpected channel count ${info.channels}`);
  const format = (meta.format === "jpg" ? "jpeg" : meta.format) as ImageFormat;
  return {
    id: crypto.createHash("sha256").update(bytes).digest("hex"),
    bytes,
    format,
    width: info.width,
    height: info.height,
    channels: info.channels,
    pixels: data,
  };
}
