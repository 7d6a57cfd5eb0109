// Serves stored originals and thumbnails. Names are validated against the content-hash pattern, so
// no request can name a file outside the store; the bytes behind a name never change, hence "immutable".
import { Router, type Response } from "express";
import { MIME_TYPES, type ImageFormat } from "../services/image-decode.js";
import { EXTENSIONS, IMAGE_ID, ImageStore, THUMBNAIL_TYPE } from "../services/image-store.service.js";

const FORMAT_BY_EXTENSION = new Map(Object.entries(EXTENSIONS).map(([format, ext]) => [ext, format as ImageFormat]));
const IMMUTABLE = "public, max-age=31536000, immutable";

/** `cacheControl`: how long others may keep a file; signed URLs expire, so with keys on it is private and short. */
export function imageRoutes(store: ImageStore, cacheControl = IMMUTABLE): Router {
  const router = Router();
  const send = (res: Response, file: string, contentType: string) => sendFile(res, file, contentType, cacheControl);

  router.get("/images/:file", async (req, res, next) => {
    try {
      const [id, ext] = req.params.file.split(".", 2);
      if (!IMAGE_ID.test(id)) return notFound(res);
      let found: { file: string; format: ImageFormat } | undefined;
      if (ext !== undefined) {
        const format = FORMAT_BY_EXTENSION.get(ext.toLowerCase());
        if (!format) return notFound(res);
        const file = store.resolve(ImageStore.keyFor(id, format));
        found = (await store.has(ImageStore.keyFor(id, format))) ? { file, format } : undefined;
      } else {
        found = await store.findOriginal(id);
      }
      if (!found) return notFound(res);
      send(res, found.file, MIME_TYPES[found.format]);
    } catch (err) {
      next(err);
    }
  });

  router.get("/thumbnails/:file", async (req, res, next) => {
    try {
      const id = req.params.file.replace(/\.webp$/, "");
      if (!IMAGE_ID.test(id) || !(await store.has(ImageStore.thumbnailKeyFor(id)))) return notFound(res);
      send(res, store.resolve(ImageStore.thumbnailKeyFor(id)), THUMBNAIL_TYPE);
    } catch (err) {
      next(err);
    }
  });

  return router;
}

function sendFile(res: Response, file: string, contentType: string, cacheControl: string): void {
  res.sendFile(file, {
    headers: { "Content-Type": contentType, "Cache-Control": cacheControl, "X-Content-Type-Options": "nosniff" },
    dotfiles: "deny",
  });
}

function notFound(res: Response): void {
  res.status(404).json({ error: { code: "NOT_FOUND", message: "No such image" } });
}
