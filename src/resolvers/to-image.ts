// Maps a stored record to the GraphQL Image a client sees, with absolute URLs.
import type { Image } from "../schema/image.type.js";
import { imageUrl, thumbnailUrl } from "../http/public-urls.js";
import type { ImageRecord } from "../services/image-record.js";

export function toImage(record: ImageRecord, baseUrl: string): Image {
  return {
    id: record.id,
    url: imageUrl(baseUrl, record.id, record.format),
    thumbnailUrl: thumbnailUrl(baseUrl, record.id),
    width: record.width,
    height: record.height,
    format: record.format,
    bytes: record.bytes,
    metadata: record.metadata,
    createdAt: record.createdAt,
  };
}
