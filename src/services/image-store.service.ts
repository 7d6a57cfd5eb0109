// Originals and thumbnails, content-addressed by sha256: the id is the hash, so a key built from a
// request can only ever name an image of the store. The only code that knows how keys are laid out.
import type { Readable } from "node:stream";
import { fromPixels, MIME_TYPES, type DecodedImage, type ImageFormat } from "./image-decode.js";
import { UpstreamUnavailableError } from "../errors.js";
import type { BlobStore } from "./storage/blob-store.js";

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

const FORMAT_BY_EXTENSION = new Map(Object.entries(EXTENSIONS).map(([format, ext]) => [ext, format as ImageFormat]));

export const THUMBNAIL_TYPE = "image/webp";

export interface StoredFile {
  body: Readable;
  size: number;
  contentType: string;
}

export class ImageStore {
  constructor(
    readonly blobs: BlobStore,
    private readonly options: { thumbnailSize: number },
  ) {}

  /** Key of an original: sharded by the first two hex digits so no folder grows huge. */
  static keyFor(id: string, format: ImageFormat): string {
    return `originals/${id.slice(0, 2)}/${id}.${EXTENSIONS[format]}`;
  }

  private static thumbnailKeyFor(id: string): string {
    return `thumbnails/${id.slice(0, 2)}/${id}.webp`;
  }

  private static previewKeyFor(id: string): string {
    return `previews/${id.slice(0, 2)}/${id}.webp`;
  }

  /** Writes the original and its thumbnail (drawn from the decoded pixels; transparency kept); idempotent. Returns the original's key. */
  async put(image: DecodedImage): Promise<string> {
    const size = this.options.thumbnailSize;
    // WebP effort 2 (sharp's default is 4): measured 4–7 ms against 11 ms an image for 256 px thumbnails, 6 % more
    // bytes (~5.3 KB); at ingest that time comes out of the model's cores.
    const thumbnail = await fromPixels(image).resize(size, size, { fit: "inside", withoutEnlargement: true }).webp({ quality: 80, effort: 2 }).toBuffer();
    const key = ImageStore.keyFor(image.id, image.format);
    try {
      await this.blobs.put(key, image.bytes);
      await this.blobs.put(ImageStore.thumbnailKeyFor(image.id), thumbnail);
    } catch (err) {
      // Not this image's fault (a full disk, a read-only mount, a bucket refusing writes): a typed outage,
      // so an ingest job stops with this message instead of failing every item after it.
      const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      throw new UpstreamUnavailableError("image-store", `Cannot write to the image store (${this.blobs.description}): ${why}`);
    }
    return key;
  }

  /** The original's bytes; undefined if the file is gone. */
  readOriginal(key: string): Promise<Buffer | undefined> {
    return this.blobs.read(key);
  }

  /** The original by id, for /images/:id[.ext]; without an extension, whichever format is stored. */
  async openOriginal(id: string, extension?: string): Promise<StoredFile | undefined> {
    if (!IMAGE_ID.test(id)) return undefined;
    const formats = extension === undefined ? (Object.keys(EXTENSIONS) as ImageFormat[]) : [FORMAT_BY_EXTENSION.get(extension.toLowerCase())];
    for (const format of formats) {
      if (!format) continue;
      const found = await this.blobs.stream(ImageStore.keyFor(id, format));
      if (found) return { body: found.body, size: found.size, contentType: MIME_TYPES[format] };
    }
    return undefined;
  }

  async openThumbnail(id: string): Promise<StoredFile | undefined> {
    if (!IMAGE_ID.test(id)) return undefined;
    const found = await this.blobs.stream(ImageStore.thumbnailKeyFor(id));
    return found && { body: found.body, size: found.size, contentType: THUMBNAIL_TYPE };
  }

  /**
   * The display-size rendition, for pages that show one image large (originals can be 20 MB): drawn from the
   * original by `draw` on first request and kept beside the thumbnail. Undefined when there is no such image.
   */
  async openPreview(id: string, draw: (original: Buffer) => Promise<Buffer>): Promise<StoredFile | undefined> {
    if (!IMAGE_ID.test(id)) return undefined;
    const key = ImageStore.previewKeyFor(id);
    let found = await this.blobs.stream(key);
    if (!found) {
      const original = await this.findOriginalKey(id);
      const bytes = original && (await this.blobs.read(original));
      if (!bytes) return undefined;
      await this.blobs.put(key, await draw(bytes));
      found = await this.blobs.stream(key);
    }
    return found && { body: found.body, size: found.size, contentType: THUMBNAIL_TYPE };
  }

  private async findOriginalKey(id: string): Promise<string | undefined> {
    for (const format of Object.keys(EXTENSIONS) as ImageFormat[]) {
      const key = ImageStore.keyFor(id, format);
      if (await this.blobs.stat(key)) return key;
    }
    return undefined;
  }

  /** IMAGE_URLS=presigned: a signed URL into the bucket for the original, or undefined if there is none. */
  async signedOriginalUrl(id: string, extension?: string): Promise<string | undefined> {
    if (!this.blobs.presignedUrl || !IMAGE_ID.test(id)) return undefined;
    const formats = extension === undefined ? (Object.keys(EXTENSIONS) as ImageFormat[]) : [FORMAT_BY_EXTENSION.get(extension.toLowerCase())];
    for (const format of formats) {
      if (format && (await this.blobs.stat(ImageStore.keyFor(id, format)))) return this.blobs.presignedUrl(ImageStore.keyFor(id, format));
    }
    return undefined;
  }

  async signedThumbnailUrl(id: string): Promise<string | undefined> {
    if (!this.blobs.presignedUrl || !IMAGE_ID.test(id)) return undefined;
    const key = ImageStore.thumbnailKeyFor(id);
    return (await this.blobs.stat(key)) ? this.blobs.presignedUrl(key) : undefined;
  }

  async remove(id: string, key: string): Promise<void> {
    await this.blobs.delete(key);
    await this.blobs.delete(ImageStore.thumbnailKeyFor(id));
    await this.blobs.delete(ImageStore.previewKeyFor(id));
  }

  /** Every stored original as (id, key), for reconciling the store with the vectors. */
  async *originals(): AsyncIterable<{ id: string; key: string }> {
    for await (const { key } of this.blobs.list("originals/")) {
      const id = key.slice(key.lastIndexOf("/") + 1).split(".")[0];
      if (IMAGE_ID.test(id)) yield { id, key };
    }
  }
}
