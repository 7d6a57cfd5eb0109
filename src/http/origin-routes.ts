// Host check, CORS and security headers for every HTTP response.
import { Router } from "express";
import { sendError } from "./error-responses.js";
import { isAllowedHost, isAllowedOrigin, type OriginPolicy } from "./request-origin.js";

const CORS_HEADERS = "authorization, content-type, apollo-require-preflight, x-apollo-operation-name, x-request-id";

export function originRoutes(policy: OriginPolicy): Router {
  const router = Router();
  router.use((req, res, next) => {
    // nosniff on every response, the API's JSON included; no referrer leaks signed URLs to other sites.
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    if (!isAllowedHost(req.headers.host, policy)) {
      return sendError(res, 421, "FORBIDDEN", `This server does not answer to the host ${JSON.stringify(req.headers.host ?? "")}; set PUBLIC_URL or ALLOWED_HOSTS`);
    }
    const origin = req.headers.origin;
    if (origin && isAllowedOrigin(origin, req.headers, policy)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
      res.setHeader("Access-Control-Expose-Headers", "retry-after, x-request-id");
      if (req.method === "OPTIONS") {
        res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", CORS_HEADERS);
        res.setHeader("Access-Control-Max-Age", "600");
        return res.status(204).end();
      }
    }
    next();
  });
  return router;
}
