// Originals and thumbnails on disk, content-addressed by sha256: the id is the hash, so a path built
// from a request can only ever name a file inside the store.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { ImageFormat } from "./image-decode.js";
import { openImage } from "./image-decode.js";

export const IMAGE_ID = /^[0-9a-f]{64}$/;

/** File extension per stored format; also what the /images route accepts. */
export const EXTENSIONS: Record<ImageFormat, string> = {
  jpeg: "jpg",
  png: "png",
  webp: "webp",
  gif: "gif",
  tiff: "tiff",
  avif: "avif",
  heif: "heic",
};

export const THUMBNAIL_TYPE = "image/webp";

export function contentHash(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class ImageStore {
  constructor(
    readonly root: string,
    private readonly options: { thumbnailSize: number; maxPixels: number },
  ) {}

  /** Relative key of an original: shards by the first two hex digits so no folder grows huge. */
  static keyFor(id: string, format: ImageFormat): string {
    return path.posix.join("originals", id.slice(0, 2), `${id}.${EXTENSIONS[format]}`);
  }

  static thumbnailKeyFor(id: string): string {
    return path.posix.join("thumbnails", id.slice(0, 2), `${id}.webp`);
  }

  /** The display-size rendition, drawn on first request by the /previews route. */
  static previewKeyFor(id: string): string {
    return path.posix.join("previews", id.slice(0, 2), `${id}.webp`);
  }

  /** Absolute path for a key, refusing anything that would leave the store. */
  resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`Storage key escapes the store: ${key}`);
    return full;
  }

  /** Writes the original and its thumbnail atomically (temp file + rename); idempotent. */
  async put(id: string, bytes: Buffer, format: ImageFormat): Promise<string> {
    const key = ImageStore.keyFor(id, format);
    const size = this.options.thumbnailSize;
    const thumbnail = await openImage(bytes, this.options)
      .resize(size, size, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    await writeAtomic(this.resolve(key), bytes);
    await writeAtomic(this.resolve(ImageStore.thumbnailKeyFor(id)), thumbnail);
    return key;
  }

  async remove(id: string, key: string): Promise<void> {
    await fs.rm(this.resolve(key), { force: true });
    await fs.rm(this.resolve(ImageStore.thumbnailKeyFor(id)), { force: true });
    await fs.rm(this.resolve(ImageStore.previewKeyFor(id)), { force: true });
  }

  async has(key: string): Promise<boolean> {
    return fs.access(this.resolve(key)).then(
      () => true,
      () => false,
    );
  }

  /** Finds an original by id alone, for URLs that leave out the extension. */
  async findOriginal(id: string): Promise<{ file: string; format: ImageFormat } | undefined> {
    for (const format of Object.keys(EXTENSIONS) as ImageFormat[]) {
      const file = this.resolve(ImageStore.keyFor(id, format));
      if (await fs.access(file).then(() => true, () => false)) return { file, format };
    }
    return undefined;
  }
}

async function writeAtomic(file: string, bytes: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(temp, bytes);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
