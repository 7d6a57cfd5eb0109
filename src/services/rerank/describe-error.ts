// Turns what the openai SDK throws into one sentence a person can act on (returned as rerankError).
import OpenAI from "openai";

export interface EndpointFacts {
  baseUrl: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export function describeLlmError(err: unknown, facts: EndpointFacts): string {
  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof OpenAI.APIUserAbortError) {
    return `The LLM did not answer within ${facts.timeoutMs} ms (RERANK_TIMEOUT_MS)`;
  }
  if (err instanceof OpenAI.APIConnectionError) return `Could not reach the LLM endpoint ${facts.baseUrl}: ${rootCause(err)}`;
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const detail = errorMessage(err);
    if (status === 401 || status === 403) return `The LLM endpoint refused the API key (${status}): check OPENAI_API_KEY. ${detail}`.trim();
    if (status === 404) return `The LLM endpoint has no model "${facts.model}" (404): check RERANK_MODEL and OPENAI_BASE_URL. ${detail}`.trim();
    if (status === 429) return `The LLM endpoint kept rate-limiting (429) after ${facts.maxRetries} retries. ${detail}`.trim();
    if (status !== undefined && status >= 500) return `The LLM endpoint failed (${status}) after ${facts.maxRetries} retries. ${detail}`.trim();
    return `The LLM endpoint rejected the request (${status ?? "no status"}). ${detail}`.trim();
  }
  return `The LLM call failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** True when a 400 says the endpoint does not do structured output, so a text prompt may still work. */
export function isUnsupportedResponseFormat(err: unknown): boolean {
  if (!(err instanceof OpenAI.APIError) || (err.status !== 400 && err.status !== 422)) return false;
  return /response_format|json_schema|structured/i.test(errorMessage(err));
}

function errorMessage(err: InstanceType<typeof OpenAI.APIError>): string {
  const body = err.error as { message?: unknown } | undefined;
  const message = typeof body?.message === "string" ? body.message : err.message;
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function rootCause(err: Error): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause) cause = cause.cause;
  return cause instanceof Error ? cause.message : err.message;
}
