// GET /metrics for Prometheus. Off unless METRICS_TOKEN is set, and then only for a scraper that sends
// it as a bearer token: counts and operation names are not for the public, and a reverse proxy on the
// same host would make a loopback-only rule meaningless.
import { timingSafeEqual } from "node:crypto";
import { Router } from "express";
import type { Metrics } from "../services/metrics/metrics.js";

export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = Router();
  if (!token) return router;
  const expected = Buffer.from(`Bearer ${token}`);
  router.get("/metrics", async (req, res, next) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).set("www-authenticate", 'Bearer realm="metrics"').json({ error: "Send METRICS_TOKEN as 'Authorization: Bearer <token>'" });
      return;
    }
    try {
      const body = await metrics.render();
      res.set("content-type", metrics.contentType).set("cache-control", "no-store").send(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
