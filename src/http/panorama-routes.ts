import { Router } from "express";
import type { PanoramaService } from "../services/panorama/index.js";

/** The panorama each reranked search drew, for as long as PANORAMA_TTL_MS keeps it. */
export function panoramaRoutes(panorama: PanoramaService): Router {
  const router = Router();
  router.get("/panoramas/:id", (req, res) => {
    const file = panorama.resolve(req.params.id);
    if (!file) {
      res.status(404).json({ error: { code: "NOT_FOUND", message: "No such panorama (they expire after PANORAMA_TTL_MS)" } });
      return;
    }
    res.sendFile(file, { headers: { "Content-Type": "image/jpeg", "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff" } }, (err) => {
      if (err && !res.headersSent) res.status(404).json({ error: { code: "NOT_FOUND", message: "No such panorama" } });
    });
  });
  return router;
}
