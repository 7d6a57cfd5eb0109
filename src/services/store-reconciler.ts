// After a crash between "files stored" and "vector written", an original can sit on disk with no vector.
// At start-up we sweep such files away in the background, so the store and Milvus agree one to one.
import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.js";
import { IMAGE_ID, ImageStore } from "./image-store.service.js";
import type { ImageCollection } from "./milvus/image.collection.js";

const BATCH = 500;

export async function removeOrphanedFiles(images: ImageStore, vectors: ImageCollection, logger: Logger): Promise<number> {
  const originals = path.join(images.root, "originals");
  let shards: string[];
  try {
    shards = await fs.readdir(originals);
  } catch {
    return 0; // nothing stored yet
  }
  let removed = 0;
  for (const shard of shards) {
    const files = (await fs.readdir(path.join(originals, shard))).filter((f) => IMAGE_ID.test(f.split(".")[0]));
    for (let i = 0; i < files.length; i += BATCH) {
      const batch = files.slice(i, i + BATCH);
      const ids = batch.map((f) => f.split(".")[0]);
      const known = new Set((await vectors.get(ids)).map((r) => r.id));
      for (const file of batch) {
        const id = file.split(".")[0];
        if (known.has(id)) continue;
        await images.remove(id, path.posix.join("originals", shard, file));
        removed++;
      }
    }
  }
  if (removed > 0) logger.warn({ removed }, "Removed stored images that had no vector (left by an interrupted ingest)");
  return removed;
}
