// With keys on, the file routes (images, thumbnails, previews, panoramas) answer only a URL the API signed, or a
// request carrying a valid key: 401 with neither, 403 for a wrong or expired signature.
import type { RequestHandler } from "express";
import type { Access } from "../services/auth/index.js";
import { sendError } from "./error-responses.js";

export function requireSignature(access: Access): RequestHandler {
  return (req, res, next) => {
    if (!access.signer) return next();
    const pathname = new URL(req.originalUrl, "http://local").pathname;
    const verdict = access.signer.verify(pathname, req.query.exp, req.query.sig);
    if (verdict === "ok") return next();
    const caller = access.identify(req.headers.authorization, req.socket.remoteAddress);
    if (caller.role) return next();
    if (verdict === "missing") return sendError(res, 401, "UNAUTHENTICATED", "This URL needs a signature (use the URLs the API returns) or an API key");
    sendError(res, 403, "FORBIDDEN", "The URL's signature is wrong or has expired: ask the API for a fresh URL");
  };
}
