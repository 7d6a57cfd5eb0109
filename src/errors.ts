// Errors a client may see. Each has a stable `extensions.code`; anything else is masked in formatError.
import { GraphQLError } from "graphql";
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";

export { ERROR_CODES, type ErrorCode };

export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.name = new.target.name;
    this.code = code;
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super("BAD_USER_INPUT", message, extensions);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super("NOT_FOUND", `${what} ${JSON.stringify(id)} was not found`, { id });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super("FORBIDDEN", message, { http: { status: 403 } });
  }
}

/** No API key, or one the server does not know, where the server needs one. */
export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super("UNAUTHENTICATED", message, { http: { status: 401 } });
  }
}

/** Refused before execution: deeper, wider or costlier than the server's limits. */
export class QueryTooComplexError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super("QUERY_TOO_COMPLEX", message, { ...extensions, http: { status: 400 } });
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", `Too many requests: try again in ${retryAfterSeconds} s`, {
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new Map([["retry-after", String(retryAfterSeconds)]]) },
    });
  }
}

/** Bytes that are not an image we accept (corrupt, truncated, not an image, unsupported format). */
export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super("UNSUPPORTED_MEDIA_TYPE", message, extensions);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super("PAYLOAD_TOO_LARGE", message, extensions);
  }
}

/** A dependency (Milvus, the model runtime, the LLM) is down or did not answer in time. */
export class UpstreamUnavailableError extends AppError {
  constructor(service: string, message: string) {
    super("UPSTREAM_UNAVAILABLE", message, { service });
  }
}

/** The request is valid, but this deployment cannot serve it (a Milvus feature the collection or version lacks). */
export class NotSupportedError extends AppError {
  constructor(message: string) {
    super("NOT_SUPPORTED", message);
  }
}

/** The server cannot start or run with its configuration (bad env, schema mismatch, locked database). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
