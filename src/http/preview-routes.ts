// GET /previews/:id.webp: a display-size rendition (at most 1024 px on a side, transparency kept) of a
// stored original, for the web demo's best pick: originals can be 20 MB. Drawn once, then kept in the store.
import { pipeline } from "node:stream/promises";
import { Router } from "express";
import { openImage } from "../services/image-decode.js";
import type { ImageStore } from "../services/image-store.service.js";

export const PREVIEW_SIZE = 1024;
const IMMUTABLE = "public, max-age=31536000, immutable";

/** `cacheControl`: as for /images (private and short while URLs are signed). */
export function previewRoutes(store: ImageStore, limits: { maxPixels: number }, cacheControl = IMMUTABLE): Router {
  const router = Router();
  /** One drawing per id at a time: concurrent first requests share it. */
  const drawing = new Map<string, Promise<unknown>>();
  const draw = (original: Buffer) =>
    openImage(original, limits).resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: "inside", withoutEnlargement: true }).webp({ quality: 82 }).toBuffer();

  router.get("/previews/:file", async (req, res, next) => {
    try {
      const id = req.params.file.replace(/\.webp$/, "");
      let pending = drawing.get(id);
      if (!pending) {
        pending = store.openPreview(id, draw).then((file) => file?.body.destroy());
        drawing.set(id, pending);
        void pending.finally(() => drawing.delete(id)).catch(() => undefined);
      }
      await pending;
      const file = await store.openPreview(id, draw);
      if (!file) {
        res.status(404).json({ error: { code: "NOT_FOUND", message: "No such image" } });
        return;
      }
      res.set({ "Content-Type": file.contentType, "Cache-Control": cacheControl, "X-Content-Type-Options": "nosniff", ETag: `"${id}-preview"`, "Content-Length": String(file.size) });
      await pipeline(file.body, res).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
