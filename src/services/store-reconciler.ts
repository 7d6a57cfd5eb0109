// After a crash between "files stored" and "vector written", an original can sit in the store with no
// vector. At start-up we sweep such files away in the background, so the store and Milvus agree one to one.
import type { Logger } from "../logger.js";
import type { ImageStore } from "./image-store.service.js";

const BATCH = 500;

/** `vectors` says which of some ids have a vector (in any catalogue). */
export async function removeOrphanedFiles(images: ImageStore, vectors: { get(ids: string[]): Promise<Array<{ id: string }>> }, logger: Logger): Promise<number> {
  let removed = 0;
  let batch: { id: string; key: string }[] = [];
  const sweep = async () => {
    const known = new Set((await vectors.get(batch.map((f) => f.id))).map((r) => r.id));
    for (const file of batch) {
      if (known.has(file.id)) continue;
      await images.remove(file.id, file.key);
      removed++;
    }
    batch = [];
  };
  for await (const file of images.originals()) {
    batch.push(file);
    if (batch.length === BATCH) await sweep();
  }
  if (batch.length > 0) await sweep();
  if (removed > 0) logger.warn({ removed }, "Removed stored images that had no vector (left by an interrupted ingest)");
  return removed;
}
