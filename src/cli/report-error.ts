// One place that turns a failure into a message on stderr and an exit code.
import { isSdkError } from "@mmrag/sdk";
import { ConfigError } from "../errors.js";

/** Exit codes: 1 for a failure (server error, unreachable server, failed download), 2 for bad usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called, found after commander's own checks. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function reportError(err: unknown, server?: string): number {
  if (err instanceof UsageError) {
    console.error(`mmrag: ${err.message}`);
    return EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    console.error(`mmrag: ${err.message}`);
    return EXIT_USAGE;
  }
  if (isSdkError(err)) {
    const hint = err.code === "NETWORK_ERROR" ? `\nIs the mmrag server running${server ? ` at ${server}` : ""}? Start one with \`mmrag serve\`, or leave out --server (and MMRAG_URL) to work on the local data dir.` : "";
    console.error(`mmrag: ${err.code}: ${err.message}${hint}`);
    return EXIT_FAILURE;
  }
  console.error(`mmrag: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_FAILURE;
}
