// Maps a stored record to the GraphQL Image a client sees, with absolute URLs.
import type { PublicUrls } from "../http/public-urls.js";
import type { Image } from "../schema/image.type.js";
import type { ImageRecord } from "../services/image-record.js";

export function toImage(record: ImageRecord, urls: PublicUrls): Image {
  return {
    id: record.id,
    url: urls.image(record.id, record.format),
    thumbnailUrl: urls.thumbnail(record.id),
    previewUrl: urls.preview(record.id),
    width: record.width,
    height: record.height,
    format: record.format,
    bytes: record.bytes,
    metadata: record.metadata,
    createdAt: record.createdAt,
  };
}
