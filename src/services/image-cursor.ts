// Page cursors for the catalogue listing: opaque to clients, they carry the sort key of a page's last image.
import { BadUserInputError } from "../errors.js";
import type { ImageOrder } from "./catalog-filter.js";
import type { ImageRecord } from "./image-record.js";
import { IMAGE_ID } from "./image-store.service.js";
import type { ListPosition } from "./milvus/image.collection.js";

/** "image:<id>" in id order (as before orders existed), "image:<ms>:<id>" in date order. */
export function encodeCursor(record: Pick<ImageRecord, "id" | "createdAt">, order: ImageOrder): string {
  const key = order === "ID" ? record.id : `${record.createdAt.getTime()}:${record.id}`;
  return Buffer.from(`image:${key}`).toString("base64url");
}

export function decodeCursor(cursor: string, order: ImageOrder): ListPosition {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const parts = decoded.startsWith("image:") ? decoded.slice(6).split(":") : [];
  const id = parts.at(-1) ?? "";
  const createdAt = parts.length === 2 && /^\d{1,15}$/.test(parts[0]) ? Number(parts[0]) : NaN;
  const fits = order === "ID" ? parts.length === 1 : Number.isSafeInteger(createdAt);
  if (!IMAGE_ID.test(id) || !fits) {
    throw new BadUserInputError("The cursor is not one this server gave out for this order", { field: "after" });
  }
  return { id, createdAt: order === "ID" ? 0 : createdAt };
}
