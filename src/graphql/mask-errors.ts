// One place decides what a client may see of an error: our AppErrors and GraphQL's own request errors
// pass through with their code; anything else is a bug, masked as INTERNAL_SERVER_ERROR and logged.
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import { AppError } from "../errors.js";

/** Codes set by graphql-js and Apollo for a malformed request; safe to show as they are. */
const REQUEST_ERROR_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/** True when the error is expected (bad input, missing thing, upstream down) rather than a bug. */
export function isExpectedError(error: unknown): boolean {
  if (unwrapResolverError(error) instanceof AppError) return true;
  // Errors without a path come from the request itself (parse, validation, variable coercion), not from resolvers.
  return error instanceof GraphQLError && !error.path && REQUEST_ERROR_CODES.has(String(error.extensions?.code ?? ""));
}

export function maskError(formatted: GraphQLFormattedError, error: unknown, exposeStack: boolean): GraphQLFormattedError {
  if (isExpectedError(error)) {
    if (exposeStack) return formatted;
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  const original = unwrapResolverError(error);
  return {
    message: "Internal server error",
    locations: formatted.locations,
    path: formatted.path,
    extensions: {
      code: "INTERNAL_SERVER_ERROR",
      ...(exposeStack && original instanceof Error ? { stacktrace: original.stack?.split("\n") } : {}),
    },
  };
}
