// Maps a stored record to the GraphQL Image a client sees, with absolute URLs.
import type { PublicUrls } from "../http/public-urls.js";
import type { Image } from "../schema/image.type.js";
import { EXTENSIONS } from "../services/image-store.service.js";
import type { ImageFormat } from "../services/image-decode.js";
import type { ImageRecord } from "../services/vector-store.service.js";

export function toImage(record: ImageRecord, urls: PublicUrls): Image {
  const ext = EXTENSIONS[record.format as ImageFormat] ?? record.format;
  return {
    id: record.id,
    url: urls.image(record.id, ext),
    thumbnailUrl: urls.thumbnail(record.id),
    width: record.width,
    height: record.height,
    format: record.format,
    bytes: record.bytes,
    metadata: record.metadata,
    createdAt: record.createdAt,
  };
}
