// Maps a stored record to the GraphQL Image a client sees, with absolute URLs.
import type { Image } from "../schema/image.type.js";
import { EXTENSIONS } from "../services/image-store.service.js";
import type { ImageFormat } from "../services/image-decode.js";
import type { ImageRecord } from "../services/image-record.js";

export function toImage(record: ImageRecord, baseUrl: string): Image {
  const ext = EXTENSIONS[record.format as ImageFormat] ?? record.format;
  return {
    id: record.id,
    url: `${baseUrl}/images/${record.id}.${ext}`,
    thumbnailUrl: `${baseUrl}/thumbnails/${record.id}.webp`,
    width: record.width,
    height: record.height,
    format: record.format,
    bytes: record.bytes,
    metadata: record.metadata,
    createdAt: record.createdAt,
  };
}
