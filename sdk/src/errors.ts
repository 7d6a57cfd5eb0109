// SdkError: what every failed call throws, carrying the server's stable `extensions.code`.
import { ERROR_CODES, type ErrorCode } from "./error-codes.js";

export { ERROR_CODES, type ErrorCode };

/** Failures found by the client itself, before or instead of a GraphQL answer. */
export const CLIENT_ERROR_CODES = [
  /** The server could not be reached, or the connection broke. */
  "NETWORK_ERROR",
  /** The server answered something that is not a GraphQL response. */
  "BAD_RESPONSE",
  /** An upload could not be read (no such file, or a value that is not a file). */
  "INVALID_UPLOAD",
] as const;

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** A GraphQL error as the server sends it. */
export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  extensions?: Record<string, unknown>;
}

export interface SdkErrorOptions {
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
  errors?: readonly GraphQLErrorPayload[];
  status?: number;
  data?: unknown;
  cause?: unknown;
  jobId?: string;
}

export class SdkError extends Error {
  /** The server's `extensions.code`, or one of CLIENT_ERROR_CODES; a server newer than this SDK may send others. */
  readonly code: ErrorCode | ClientErrorCode | (string & {});
  /** The response field that failed, e.g. ["image"]; absent for errors of the whole request. */
  readonly path?: ReadonlyArray<string | number>;
  /** The error's other extensions, e.g. `service` with UPSTREAM_UNAVAILABLE or `field` with BAD_USER_INPUT. */
  readonly extensions: Record<string, unknown>;
  /** Every error of the response; this error describes the first. */
  readonly errors: readonly GraphQLErrorPayload[];
  /** The HTTP status, for errors that came over HTTP. */
  readonly status?: number;
  /** What the server answered beside the errors, when it answered anything. */
  readonly data?: unknown;
  /** The ingest job this error happened after (ingestAndWait): the job exists on the server, so follow or cancel it rather than start it again. */
  readonly jobId?: string;

  constructor(code: ErrorCode | ClientErrorCode | (string & {}), message: string, options: SdkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SdkError";
    this.code = code;
    this.path = options.path;
    this.extensions = options.extensions ?? {};
    this.errors = options.errors ?? [];
    this.status = options.status;
    this.data = options.data;
    this.jobId = options.jobId;
  }

  /** The same error, saying which ingest job it happened after. */
  withJobId(jobId: string): SdkError {
    const copy = new SdkError(this.code, this.message, { path: this.path, extensions: this.extensions, errors: this.errors, status: this.status, data: this.data, cause: this.cause, jobId });
    copy.stack = this.stack;
    return copy;
  }

  /** The error for a GraphQL response's `errors`, described by the first of them. */
  static fromGraphQLErrors(errors: readonly GraphQLErrorPayload[], options: { status?: number; data?: unknown } = {}): SdkError {
    const first = errors[0] ?? { message: "Unknown GraphQL error" };
    const { code, ...extensions } = first.extensions ?? {};
    return new SdkError(typeof code === "string" ? code : "INTERNAL_SERVER_ERROR", first.message, { ...options, path: first.path, extensions, errors });
  }
}

/** True for an SdkError, and with `code` for one with that code. */
export function isSdkError(error: unknown, code?: ErrorCode | ClientErrorCode): error is SdkError {
  return error instanceof SdkError && (code === undefined || error.code === code);
}
