// The one list of stable `extensions.code` values, shared by the server (src/error-codes.ts re-exports it) and
// the SDK. Plain JavaScript so both can import this very file without a build step: the server compiles with
// rootDir src and cannot compile a TypeScript file from here. `npm run codegen` writes error-codes.d.ts from it.

export const ERROR_CODES = /** @type {const} */ ([
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "FORBIDDEN",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "UPSTREAM_UNAVAILABLE",
  "NOT_SUPPORTED",
  "INTERNAL_SERVER_ERROR",
  // No valid API key where the server needs one; HTTP 401 on plain routes. Clients ask the user for a key.
  "UNAUTHENTICATED",
  // Too deep, too many aliases or tokens, or too costly (page sizes × fields): refused before it runs.
  "QUERY_TOO_COMPLEX",
  // This key's (or address's) budget per minute is spent; extensions.retryAfter says in how many seconds.
  "RATE_LIMITED",
  // Raised by Apollo itself before our resolvers run.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);
