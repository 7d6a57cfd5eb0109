// Serves stored originals and thumbnails, streamed from the image store. The bytes behind a name never
// change (the name is their hash), hence "immutable" and the id as ETag.
import { pipeline } from "node:stream/promises";
import { Router, type Request, type Response } from "express";
import type { ImageStore, StoredFile } from "../services/image-store.service.js";

const IMMUTABLE = "public, max-age=31536000, immutable";

/** `cacheControl`: how long others may keep a file; signed URLs expire, so with keys on it is private and short.
  `presigned` (IMAGE_URLS=presigned): answer with a redirect to a signed bucket URL instead of streaming the bytes. */
export function imageRoutes(store: ImageStore, cacheControl = IMMUTABLE, options: { presigned?: boolean } = {}): Router {
  const router = Router();
  const send = (req: Request, res: Response, etag: string, file: StoredFile | undefined) => sendFile(req, res, etag, file, cacheControl);

  router.get("/images/:file", async (req, res, next) => {
    try {
      const [id, ext] = req.params.file.split(".", 2);
      if (options.presigned) return redirect(res, await store.signedOriginalUrl(id, ext));
      await send(req, res, `"${id}"`, await store.openOriginal(id, ext));
    } catch (err) {
      next(err);
    }
  });

  router.get("/thumbnails/:file", async (req, res, next) => {
    try {
      const id = req.params.file.replace(/\.webp$/, "");
      if (options.presigned) return redirect(res, await store.signedThumbnailUrl(id));
      await send(req, res, `"${id}-thumbnail"`, await store.openThumbnail(id));
    } catch (err) {
      next(err);
    }
  });

  return router;
}

function redirect(res: Response, url: string | undefined): void {
  if (!url) {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "No such image" } });
    return;
  }
  // The signature expires: the redirect itself may only be cached briefly.
  res.set("Cache-Control", "private, max-age=60").redirect(302, url);
}

async function sendFile(req: Request, res: Response, etag: string, file: StoredFile | undefined, cacheControl: string): Promise<void> {
  if (!file) {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "No such image" } });
    return;
  }
  res.set({ "Content-Type": file.contentType, "Cache-Control": cacheControl, "X-Content-Type-Options": "nosniff", ETag: etag });
  if (req.headers["if-none-match"] === etag || req.method === "HEAD") {
    file.body.destroy();
    res.status(req.method === "HEAD" ? 200 : 304).set("Content-Length", String(file.size)).end();
    return;
  }
  res.set("Content-Length", String(file.size));
  // A client that goes away mid-download is not an error of ours.
  await pipeline(file.body, res).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
  });
}
