// GET /previews/:id.webp: a display-size rendition (at most 1024 px on a side, alpha kept) of a stored
// original, for pages that show one picture large: originals can be 20 MB. Drawn on first request and kept
// beside the thumbnails, so later requests are a file read; the bytes behind an id never change.
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Router } from "express";
import { openImage } from "../services/image-decode.js";
import { IMAGE_ID, ImageStore } from "../services/image-store.service.js";

export const PREVIEW_SIZE = 1024;
const IMMUTABLE = "public, max-age=31536000, immutable";

export function previewRoutes(store: ImageStore, limits: { maxPixels: number }): Router {
  const router = Router();
  /** One drawing per id at a time: concurrent first requests wait for the same file. */
  const drawing = new Map<string, Promise<string>>();

  router.get("/previews/:file", async (req, res, next) => {
    try {
      const id = req.params.file.replace(/\.webp$/, "");
      if (!IMAGE_ID.test(id)) return notFound(res);
      const file = store.resolve(ImageStore.previewKeyFor(id));
      if (!(await exists(file))) {
        const original = await store.findOriginal(id);
        if (!original) return notFound(res);
        let pending = drawing.get(id);
        if (!pending) {
          pending = draw(original.file, file, limits).finally(() => drawing.delete(id));
          drawing.set(id, pending);
        }
        await pending;
      }
      res.sendFile(file, { headers: { "Content-Type": "image/webp", "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff" }, dotfiles: "deny" });
    } catch (err) {
      next(err);
    }
  });
  return router;
}

async function draw(original: string, target: string, limits: { maxPixels: number }): Promise<string> {
  const bytes = await openImage(await fs.readFile(original), limits)
    .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: "inside", withoutEnlargement: true })
    .webp({ quality: 82 })
    .toBuffer();
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomUUID()}.tmp`;
  await fs.writeFile(temp, bytes);
  await fs.rename(temp, target);
  return target;
}

function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function notFound(res: import("express").Response): void {
  res.status(404).json({ error: { code: "NOT_FOUND", message: "No such image" } });
}
