// What clients see when something goes wrong: stable codes for expected errors, nothing internal otherwise.
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { logUnexpectedErrors, maskError } from "../../src/graphql/mask-errors.js";
import { NotFoundError, UpstreamUnavailableError } from "../../src/errors.js";
import { ERROR_CODES } from "../../src/error-codes.js";

function resolverError(original: Error): GraphQLError {
  return new GraphQLError(original.message, { originalError: original, path: ["image"] });
}

describe("error masking", () => {
  it("passes AppErrors through with their code and extensions, without a stack outside development", () => {
    const error = resolverError(new UpstreamUnavailableError("milvus", "Milvus is restarting"));
    const formatted = { message: error.message, path: ["image"], extensions: { code: "UPSTREAM_UNAVAILABLE", service: "milvus", stacktrace: ["at x"] } };
    expect(maskError(formatted, error, false)).toEqual({ message: "Milvus is restarting", path: ["image"], extensions: { code: "UPSTREAM_UNAVAILABLE", service: "milvus" } });
  });

  it("masks an unexpected error as INTERNAL_SERVER_ERROR and hides its message", () => {
    const error = resolverError(new Error("ECONNRESET at /srv/secret/path.ts:12"));
    const formatted = { message: error.message, path: ["image"], extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["Error: ECONNRESET", "at /srv/secret"] } };
    const masked = maskError(formatted, error, false);
    expect(masked).toEqual({ message: "Internal server error", path: ["image"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(JSON.stringify(masked)).not.toContain("secret");
  });

  it("keeps a stack for developers in development", () => {
    const error = resolverError(new Error("boom"));
    const masked = maskError({ message: "boom", extensions: {} }, error, true);
    expect(masked.extensions?.stacktrace).toEqual(expect.arrayContaining([expect.stringContaining("boom")]));
  });

  it("logs the unexpected errors with their stack, and not the expected ones", () => {
    const lines: Array<{ msg: string; err?: { message: string; stack?: string } }> = [];
    const logger = pino({ level: "error" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    logUnexpectedErrors([resolverError(new Error("disk on fire")), resolverError(new NotFoundError("Image", "x"))], logger);
    expect(lines).toHaveLength(1);
    expect(lines[0].err?.message).toBe("disk on fire");
    expect(lines[0].err?.stack).toContain("disk on fire");
  });

  it("uses only codes from the shared list", () => {
    expect(ERROR_CODES).toContain(new NotFoundError("Image", "x").extensions.code);
  });
});
