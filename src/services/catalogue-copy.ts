// Brings images of one of a catalogue's collections into another, built with another model: what a reindex
// does for changes made while it ran, and what a write made during a reindex does for the collection it did
// not write. Images are re-embedded from their stored originals by the target's model.
import { NotFoundError } from "../errors.js";
import type { CatalogueServices } from "./catalogues.service.js";
import type { ImageRecord } from "./image-record.js";
import type { ImageStore } from "./image-store.service.js";

/**
 * Makes `to` hold, for the ids of `source` and `target`, what `source` holds: images `to` lacks are added,
 * metadata that differs is written, ids in `target` missing from `source` are removed. Answers how many changed.
 */
export async function copyImages(source: ImageRecord[], target: ImageRecord[], to: CatalogueServices, images: ImageStore): Promise<number> {
  const copied = new Map(target.map((r) => [r.id, r]));
  const kept = new Set(source.map((r) => r.id));
  const added = source.filter((r) => !copied.has(r.id));
  const edited = source.filter((r) => copied.has(r.id) && JSON.stringify(r.metadata) !== JSON.stringify(copied.get(r.id)!.metadata));
  const deleted = target.filter((r) => !kept.has(r.id)).map((r) => r.id);
  for (const record of added) {
    // A file gone since belongs to an image deleted meanwhile: nothing to copy.
    const bytes = await images.readOriginal(record.storageKey);
    if (!bytes) continue;
    const prepared = await to.catalog.prepare(bytes, record.metadata, { createdAt: record.createdAt });
    if (prepared.row) await to.catalog.commit([prepared.row]);
  }
  for (const record of edited) {
    // Not found: the row is being rewritten right now (a Milvus upsert is a delete and an insert), by the
    // reindex itself, whose catch-up compares again; not a reason to fail the write being copied.
    await to.catalog.update(record.id, record.metadata, false).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }
  if (deleted.length > 0) await to.collection.delete(deleted);
  return added.length + edited.length + deleted.length;
}
