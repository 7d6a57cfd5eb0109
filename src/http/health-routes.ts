import { Router } from "express";
import { isLoopbackAddress, type Access } from "../services/auth/index.js";
import type { ModelInfo } from "../services/embedding/index.js";
import type { VectorStore } from "../services/vector-store.service.js";

/**
 * /healthz: the process answers. /readyz: it can serve searches (Milvus answering, model loaded); the details
 * (backend, model, Milvus's error) only for an admin key or a caller on this machine.
 */
export function healthRoutes(deps: { vectors: VectorStore; model: ModelInfo; access: Access }): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (req, res) => {
    const milvus = await deps.vectors.ping();
    const status = milvus.ok ? "ready" : "unavailable";
    const caller = deps.access.identify(req.headers.authorization, req.socket.remoteAddress);
    if (!isLoopbackAddress(req.socket.remoteAddress) && !(caller.keyName && deps.access.isAdmin(caller))) {
      res.status(milvus.ok ? 200 : 503).json({ status });
      return;
    }
    const { name, family, dimension, generated, source, warning } = deps.model;
    res.status(milvus.ok ? 200 : 503).json({
      status,
      milvus: { ok: milvus.ok, backend: deps.vectors.backend, detail: milvus.detail },
      model: { ok: true, name, family, dimension, generated, source, warning },
    });
  });
  return router;
}
