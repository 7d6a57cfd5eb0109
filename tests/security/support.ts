// Raw HTTP for the security tests: requests built by hand, with whatever headers an attacker or a partner sends.
import { GRAPHQL_PATH } from "../../src/app.js";
import type { GraphQLResponse } from "../support/server.js";

export interface RawResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: GraphQLResponse<T>;
}

async function answer(res: Response): Promise<RawResponse<any>> {
  const text = await res.text();
  let body: GraphQLResponse<any>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`Expected JSON, got ${res.status} ${res.headers.get("content-type")}: ${text.slice(0, 200)}`);
  }
  return { status: res.status, headers: res.headers, body };
}

export async function post(baseUrl: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(`${baseUrl}${GRAPHQL_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return answer(res);
}

export interface FilePart {
  bytes: Buffer;
  name: string;
}

/** A GraphQL multipart request; `map` defaults to one entry per file, in order, for the given variable paths. */
export async function upload(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  files: Array<{ path: string; file: FilePart }>,
  options: { headers?: Record<string, string>; map?: Record<string, string[]> } = {},
): Promise<RawResponse> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, variables }));
  form.append("map", JSON.stringify(options.map ?? Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.file.bytes)]), f.file.name));
  const res = await fetch(`${baseUrl}${GRAPHQL_PATH}`, { method: "POST", headers: { "apollo-require-preflight": "true", ...options.headers }, body: form });
  return answer(res);
}

export function codes(response: RawResponse): Array<string | undefined> {
  return (response.body.errors ?? []).map((e) => e.extensions?.code);
}
