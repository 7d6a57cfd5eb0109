// Refusals outside GraphQL execution (body parsers, the upload parser, the host and origin checks, plain
// routes) answer GraphQL-shaped JSON with a stable code, never an HTML error page.
import type { ErrorRequestHandler, Response } from "express";
import type { ErrorCode } from "../error-codes.js";
import type { Logger } from "../logger.js";

export function sendError(res: Response, status: number, code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): void {
  res.status(status).type("application/json").json({ errors: [{ message, extensions: { ...extensions, code } }] });
}

const CODE_BY_STATUS: Record<number, ErrorCode> = { 400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 413: "PAYLOAD_TOO_LARGE", 415: "BAD_REQUEST" };

/** The last handler: errors with a client status (4xx, from body-parser, multipart parsing...) keep it; anything else is a bug. */
export function errorResponses(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = Number((err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode);
    if (status >= 400 && status < 500) {
      const message = err instanceof Error ? err.message : String(err);
      return sendError(res, status, CODE_BY_STATUS[status] ?? "BAD_REQUEST", message);
    }
    (req.log ?? logger).error({ err }, "Unexpected error outside GraphQL");
    sendError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
  };
}
