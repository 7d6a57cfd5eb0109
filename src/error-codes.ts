// The one list of error codes. The SDK imports this file too, so server and client never drift.
export const ERROR_CODES = [
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "FORBIDDEN",
  "UNSUPPORTED_MEDIA_TYPE",
  "PAYLOAD_TOO_LARGE",
  "UPSTREAM_UNAVAILABLE",
  "INTERNAL_SERVER_ERROR",
  // Raised by Apollo itself before our resolvers run.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
