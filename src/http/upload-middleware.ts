// Parses GraphQL multipart requests (graphql-upload-minimal). Uploads stay streams: resolvers read them in
// order as the bytes arrive and refuse a file the moment it passes the limit (resolvers/read-upload.ts).
// The parser gets no file size limit of its own: it would cut the file short and unpipe its reader on the
// way, and a file cut to size must never pass for the whole one.
import type { RequestHandler } from "express";
import { processRequest } from "graphql-upload-minimal";

export function uploadMiddleware(limits: { maxFiles: number }): RequestHandler {
  return (req, res, next) => {
    if (!req.is("multipart/form-data")) return next();
    // Once the answer is out, the rest of the body (uploads a refused request never read) is read and dropped,
    // so the client finishes sending and sees the answer, and the connection can be reused.
    res.once("finish", () => {
      req.unpipe();
      req.resume();
    });
    processRequest(req, res, { maxFiles: limits.maxFiles }).then(
      (body) => {
        req.body = body;
        next();
      },
      (err: { status?: number; message?: string }) => {
        // The parser calls a body without operations a server error (500); it is the client's.
        const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 400;
        next(Object.assign(new Error(err.message ?? "Malformed multipart request"), { status }));
      },
    );
  };
}
