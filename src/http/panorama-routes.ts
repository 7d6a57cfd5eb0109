import { pipeline } from "node:stream/promises";
import { Router } from "express";
import type { PanoramaService } from "../services/panorama/index.js";

/** The panorama each reranked search drew, for as long as PANORAMA_TTL_MS keeps it. */
export function panoramaRoutes(panorama: PanoramaService): Router {
  const router = Router();
  router.get("/panoramas/:id", async (req, res, next) => {
    try {
      const found = await panorama.open(req.params.id.replace(/\.jpg$/, ""));
      if (!found) {
        res.status(404).json({ error: { code: "NOT_FOUND", message: "No such panorama (they expire after PANORAMA_TTL_MS)" } });
        return;
      }
      res.set({ "Content-Type": "image/jpeg", "Content-Length": String(found.size), "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff" });
      await pipeline(found.body, res).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
      });
    } catch (err) {
      next(err);
    }
  });
  return router;
}
