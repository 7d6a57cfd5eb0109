// One place decides what a client may see of an error, and logs the ones that are bugs, for HTTP and
// graphql-ws alike: our AppErrors and GraphQL's own request errors pass through with their code; anything
// else is masked as INTERNAL_SERVER_ERROR.
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import { tokenLimitError } from "./cost-limits.js";

/** Codes Apollo and graphql-js set for a malformed request; safe to show as they are. */
const REQUEST_ERROR_CODES = new Set<string>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/** The AppError behind an error: thrown by a resolver, or reported by a validation rule and wrapped by Apollo. */
function appErrorOf(error: unknown): AppError | undefined {
  for (let e: unknown = error; e instanceof Error; e = (e as GraphQLError).originalError) {
    if (e instanceof AppError) return e;
    if (!(e instanceof GraphQLError)) break;
  }
  return undefined;
}

/** True when the error is expected (bad input, missing thing, upstream down) rather than a bug. */
export function isExpectedError(error: unknown): boolean {
  if (appErrorOf(error)) return true;
  // Errors without a path come from the request itself (parse, validation, variable coercion), not from resolvers.
  return error instanceof GraphQLError && !error.path && REQUEST_ERROR_CODES.has(String(error.extensions?.code ?? ""));
}

export function maskError(formatted: GraphQLFormattedError, error: unknown, exposeStack: boolean): GraphQLFormattedError {
  if (isExpectedError(error)) {
    // `http` carries a status and headers for Apollo; it is not for clients (and graphql-ws has no use for it).
    const { stacktrace, http: _http, ...extensions } = formatted.extensions ?? {};
    const known = appErrorOf(error) ?? tokenLimitError(error);
    const message = known?.message ?? formatted.message;
    const code = known?.code ?? extensions.code;
    return { ...formatted, message, extensions: { ...extensions, code, ...(exposeStack && stacktrace ? { stacktrace } : {}) } };
  }
  const original = unwrapResolverError(error);
  return {
    message: "Internal server error",
    locations: formatted.locations,
    path: formatted.path,
    extensions: {
      code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR,
      ...(exposeStack && original instanceof Error ? { stacktrace: original.stack?.split("\n") } : {}),
    },
  };
}

/** Logs each error that is a bug, with its stack; expected errors are the client's business. */
export function logUnexpectedErrors(errors: readonly unknown[], logger: Logger): void {
  for (const error of errors) {
    if (isExpectedError(error)) continue;
    const original = unwrapResolverError(error);
    logger.error({ err: original ?? error, path: error instanceof GraphQLError ? error.path : undefined }, "Unexpected error in a GraphQL request");
  }
}
