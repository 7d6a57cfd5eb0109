import { Router } from "express";
import type { ModelInfo } from "../services/embedding/index.js";
import type { VectorStore } from "../services/vector-store.service.js";

/** /healthz: the process answers. /readyz: it can serve searches (Milvus answering, model loaded). */
export function healthRoutes(deps: { vectors: VectorStore; model: ModelInfo }): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const milvus = await deps.vectors.ping();
    const { name, family, dimension, generated, source, warning } = deps.model;
    res.status(milvus.ok ? 200 : 503).json({
      status: milvus.ok ? "ready" : "unavailable",
      milvus: { ok: milvus.ok, backend: deps.vectors.backend, detail: milvus.detail },
      model: { ok: true, name, family, dimension, generated, source, warning },
    });
  });
  return router;
}
