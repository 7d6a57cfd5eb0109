// Step 2 of the reference harness (run by harness.py): makes the Display-P3 fixture (sharp converts and
// tags it), then writes each fixture image's corrected copy, i.e. what mmrag embeds: upright, sRGB, 8-bit,
// alpha flattened on white, as an RGB PNG the Python reference reads.
//   npx tsx models/reference/corrected-copies.ts <images-dir> <corrected-dir> [p3-source.png]
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { flattenOnWhite } from "../../src/services/embedding/model-input.js";
import { decodeImage } from "../../src/services/image-decode.js";

const [imagesDir, correctedDir, p3Source] = process.argv.slice(2);
await fs.mkdir(correctedDir, { recursive: true });
if (p3Source) await sharp(p3Source).withIccProfile("p3").jpeg({ quality: 92 }).toFile(path.join(imagesDir, "p3-640x480.jpg"));
for (const name of (await fs.readdir(imagesDir)).sort()) {
  const image = await decodeImage(await fs.readFile(path.join(imagesDir, name)), { maxPixels: 100_000_000 });
  const rgb = flattenOnWhite(image.pixels, image.channels);
  await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toFile(path.join(correctedDir, name.replace(/\.\w+$/, ".png")));
}
