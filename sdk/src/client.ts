// createClient: the generated operations over fetch (JSON, or multipart when there are files) and graphql-ws.
import type { DocumentNode, OperationTypeNode } from "graphql";
import { print } from "graphql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws/client";
import { isSdkError, SdkError, type GraphQLErrorPayload } from "./errors.js";
import { getSdk, type IngestJobFieldsFragment, type IngestProgressSubscriptionVariables, type IngestStatus } from "./generated/graphql.js";
import { extractUploads, uploadVariables, type PathReader, type Upload } from "./uploads.js";
import { xhrPost, type RawResponse, type UploadProgress } from "./xhr-post.js";

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. "http://127.0.0.1:4000/graphql"; relative URLs work in browsers. */
  url: string;
  /** The graphql-ws endpoint; default: `url` with http(s) turned into ws(s). */
  wsUrl?: string;
  /** Sent with every request, and as connection params over WebSocket; a function is called for each request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** A WebSocket class for subscriptions; default: the global WebSocket, or in Node.js the `ws` package if installed. */
  webSocketImpl?: unknown;
}

/** Per call: an AbortSignal and extra headers. */
export interface RequestOptions {
  signal?: AbortSignal;
  headers?: HeadersInit;
  /** In browsers, called as a request with files is sent (bytes so far, of the whole body); elsewhere not called. */
  onUploadProgress?: (progress: UploadProgress) => void;
}

export type IngestJob = IngestJobFieldsFragment;

/** An ingest job's final statuses; ingestProgress ends after one of them. */
export const FINAL_INGEST_STATUSES: readonly IngestStatus[] = ["SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"];

export interface IngestAndWaitOptions extends RequestOptions {
  /** Per file, in the same order. */
  metadata?: Array<Record<string, unknown> | null>;
  /** The catalogue to add them to; default "default". */
  catalogue?: string;
  /** Called with the job's state as it changes, the final state included. */
  onProgress?: (job: IngestJob) => void;
  /** Called once the server has created the job: from then on the work happens whatever this client does. */
  onJobCreated?: (job: IngestJob) => void;
  /** How often to ask for the job's state when subscriptions are unavailable (no WebSocket); default 500 ms. */
  pollIntervalMs?: number;
}

type Field<T> = T[keyof T];
type Unwrapped<R> = R extends Promise<infer D> ? Promise<Field<D>> : R extends AsyncIterable<infer D> ? AsyncIterable<Field<D>> : never;
/** The generated SDK: one method per operation, answering the whole `data` object. */
export type GeneratedSdk = ReturnType<typeof getSdk<RequestOptions>>;

/** One method per operation in sdk/operations, answering its one top-level field, e.g. searchComposed(...) → RankedResult. */
export type OperationMethods = {
  [K in Exclude<keyof GeneratedSdk, "IngestProgress"> as Uncapitalize<K>]: (...args: Parameters<GeneratedSdk[K]>) => Unwrapped<ReturnType<GeneratedSdk[K]>>;
};

export interface MmragClient extends OperationMethods {
  /** The generated SDK itself: the same operations, answering the whole `data` object. */
  readonly raw: GeneratedSdk;
  /** The job's state at once, then as it changes, then its final state; then the iteration ends. `break` unsubscribes. */
  ingestProgress(jobId: string | IngestProgressSubscriptionVariables, options?: RequestOptions): AsyncIterable<IngestJob>;
  /** Starts ingesting the files and resolves with the job's final state (SUCCEEDED, PARTIAL, FAILED or CANCELLED). */
  ingestAndWait(files: Upload[], options?: IngestAndWaitOptions): Promise<IngestJob>;
  /** Closes the WebSocket, ending any subscription. HTTP calls still work afterwards. */
  close(): Promise<void>;
}

/** What differs between Node.js and browsers. */
export interface Platform {
  readPath?: PathReader;
  loadWebSocket?: () => Promise<unknown>;
}

export function createClientFor(platform: Platform, options: ClientOptions): MmragClient {
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (!fetchImpl) throw new TypeError("createClient: no global fetch here; pass options.fetch");
  const printed = new WeakMap<DocumentNode, string>();
  const queryOf = (document: DocumentNode) => {
    let query = printed.get(document);
    if (query === undefined) printed.set(document, (query = print(document)));
    return query;
  };

  async function headersFor(extra?: HeadersInit): Promise<Headers> {
    const base = typeof options.headers === "function" ? await options.headers() : options.headers;
    const headers = new Headers(base);
    if (options.apiKey) headers.set("authorization", `Bearer ${options.apiKey}`);
    new Headers(extra).forEach((value, key) => headers.set(key, value));
    return headers;
  }

  async function execute(document: DocumentNode, variables: Record<string, unknown> | undefined, callOptions: RequestOptions = {}): Promise<unknown> {
    const { variables: sent, parts } = await extractUploads(variables, uploadVariables(document), platform.readPath);
    const headers = await headersFor(callOptions.headers);
    headers.set("accept", "application/graphql-response+json, application/json");
    const operation = { query: queryOf(document), variables: sent };
    let body: BodyInit;
    if (parts.length > 0) {
      // Apollo's CSRF prevention rejects multipart requests without this header.
      headers.set("apollo-require-preflight", "true");
      const form = new FormData();
      form.append("operations", JSON.stringify(operation));
      form.append("map", JSON.stringify(Object.fromEntries(parts.map((part, i) => [String(i), [part.path]]))));
      parts.forEach((part, i) => form.append(String(i), part.blob, part.name));
      body = form;
    } else {
      headers.set("content-type", "application/json");
      body = JSON.stringify(operation);
    }

    let response: RawResponse;
    try {
      // Upload progress needs XHR; everything else goes through fetch (options.fetch included).
      if (callOptions.onUploadProgress && parts.length > 0 && typeof XMLHttpRequest !== "undefined" && !options.fetch) {
        response = await xhrPost(options.url, { headers, body, signal: callOptions.signal, onUploadProgress: callOptions.onUploadProgress });
      } else {
        const fetched = await fetchImpl(options.url, { method: "POST", headers, body, signal: callOptions.signal });
        response = { status: fetched.status, statusText: fetched.statusText, text: await fetched.text() };
      }
    } catch (cause) {
      if (callOptions.signal?.aborted) throw cause;
      // Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause.
      const inner = (cause as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason = inner?.code ?? inner?.message;
      throw new SdkError("NETWORK_ERROR", `Cannot reach ${options.url}: ${(cause as Error).message}${reason ? ` (${String(reason)})` : ""}`, { cause });
    }
    const text = response.text;
    let result: { data?: unknown; errors?: GraphQLErrorPayload[] };
    try {
      result = JSON.parse(text);
    } catch {
      const code = response.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_RESPONSE";
      throw new SdkError(code, `HTTP ${response.status} from ${options.url}: ${text.slice(0, 200) || response.statusText}`, { status: response.status });
    }
    if (result.errors?.length) throw SdkError.fromGraphQLErrors(result.errors, { status: response.status, data: result.data });
    if (!result.data || typeof result.data !== "object") {
      throw new SdkError("BAD_RESPONSE", `HTTP ${response.status} from ${options.url} without data`, { status: response.status });
    }
    return result.data;
  }

  let ws: Promise<WsClient> | undefined;
  function wsClient(): Promise<WsClient> {
    ws ??= (async () => {
      const webSocketImpl = options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket ?? (await platform.loadWebSocket?.());
      if (!webSocketImpl) {
        throw new SdkError("NETWORK_ERROR", "Subscriptions need a WebSocket: pass options.webSocketImpl (in Node.js 20, install `ws`)");
      }
      return createWsClient({
        url: options.wsUrl ?? toWebSocketUrl(options.url),
        webSocketImpl,
        // Connect on the first subscription and close as soon as the last one ends.
        lazy: true,
        lazyCloseTimeout: 0,
        connectionParams: async () => {
          const params: Record<string, string> = {};
          (await headersFor()).forEach((value, key) => (params[key] = value));
          return params;
        },
      });
    })();
    ws.catch(() => (ws = undefined));
    return ws;
  }

  async function* subscribe(document: DocumentNode, variables: Record<string, unknown> | undefined, callOptions: RequestOptions = {}): AsyncGenerator<unknown> {
    callOptions.signal?.throwIfAborted();
    const client = await wsClient();
    const results = client.iterate({ query: queryOf(document), variables });
    const stop = () => void results.return?.();
    callOptions.signal?.addEventListener("abort", stop, { once: true });
    try {
      while (true) {
        let step: IteratorResult<{ data?: unknown; errors?: readonly GraphQLErrorPayload[] }>;
        try {
          step = await results.next();
        } catch (error) {
          throw subscriptionError(error);
        }
        if (step.done) break;
        callOptions.signal?.throwIfAborted();
        if (step.value.errors?.length) throw SdkError.fromGraphQLErrors(step.value.errors, { data: step.value.data });
        yield step.value.data;
      }
      callOptions.signal?.throwIfAborted();
    } finally {
      callOptions.signal?.removeEventListener("abort", stop);
      // Tells the server to stop; with no subscription left, the socket closes.
      await results.return?.();
    }
  }

  const requester = <R, V>(document: DocumentNode, variables?: V, callOptions?: RequestOptions): Promise<R> | AsyncIterable<R> => {
    const vars = variables as Record<string, unknown> | undefined;
    return operationType(document) === "subscription"
      ? (subscribe(document, vars, callOptions) as AsyncIterable<R>)
      : (execute(document, vars, callOptions) as Promise<R>);
  };
  const raw = getSdk<RequestOptions>(requester);

  const methods = {} as Record<string, unknown>;
  for (const [name, call] of Object.entries(raw) as Array<[string, (...args: unknown[]) => Promise<unknown> | AsyncIterable<unknown>]>) {
    methods[name[0].toLowerCase() + name.slice(1)] = (...args: unknown[]) => {
      const result = call(...args);
      return isPromise(result) ? result.then(onlyField) : mapIterable(result, onlyField);
    };
  }

  const client: MmragClient = {
    ...(methods as OperationMethods),
    raw,
    ingestProgress(jobId, callOptions) {
      const variables = typeof jobId === "string" ? { jobId } : jobId;
      return mapIterable(raw.IngestProgress(variables, callOptions), (data) => data.ingestProgress);
    },
    async ingestAndWait(files, { metadata, catalogue, onProgress, onJobCreated, pollIntervalMs = 500, ...callOptions } = {}) {
      let job = await client.ingestImages({ files, metadata, catalogue }, callOptions);
      onJobCreated?.(job);
      // From here on the job exists on the server: every error says which job, so a caller can follow or
      // cancel it instead of uploading the same files again.
      try {
        try {
          // The server sends the current state on subscribe, so nothing is missed between starting and following.
          for await (const state of client.ingestProgress(job.id, callOptions)) {
            job = state;
            onProgress?.(state);
          }
        } catch (error) {
          // No WebSocket here (Node 20 without `ws`), or the socket failed: ask over HTTP instead.
          if (!isSdkError(error, "NETWORK_ERROR") || callOptions.signal?.aborted) throw error;
        }
        while (!FINAL_INGEST_STATUSES.includes(job.status)) {
          await sleep(pollIntervalMs, callOptions.signal);
          const state = await client.ingestJob({ id: job.id }, callOptions);
          if (!state) throw new SdkError("NOT_FOUND", `Ingest job ${job.id} is no longer on the server`);
          if (state.processed !== job.processed || state.status !== job.status) onProgress?.(state);
          job = state;
        }
        return job;
      } catch (error) {
        throw withJobId(error, job.id);
      }
    },
    async close() {
      const current = ws;
      ws = undefined;
      if (current) await (await current.catch(() => undefined))?.dispose();
    },
  };
  return client;
}

/** The error with `jobId` set: an SdkError keeps its code; anything else becomes the cause of a NETWORK_ERROR, an abort stays an abort. */
function withJobId(error: unknown, jobId: string): unknown {
  if (error instanceof SdkError) return error.withJobId(jobId);
  if ((error as { name?: unknown })?.name === "AbortError") return Object.assign(error as object, { jobId });
  return new SdkError("NETWORK_ERROR", `Following ingest job ${jobId} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, jobId });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function operationType(document: DocumentNode): OperationTypeNode | undefined {
  for (const definition of document.definitions) if (definition.kind === "OperationDefinition") return definition.operation;
  return undefined;
}

function onlyField(data: unknown): unknown {
  return Object.values(data as Record<string, unknown>)[0];
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown>)?.then === "function";
}

async function* mapIterable<T, U>(source: AsyncIterable<T>, map: (value: T) => U): AsyncGenerator<U> {
  for await (const value of source) yield map(value);
}

function subscriptionError(error: unknown): Error {
  if (error instanceof SdkError) return error;
  if (Array.isArray(error)) return SdkError.fromGraphQLErrors(error as GraphQLErrorPayload[]);
  // graphql-ws rejects with the socket's CloseEvent (or an Error) when it cannot connect or the socket dies.
  const close = error as { code?: unknown; reason?: unknown; message?: unknown };
  if (typeof close?.code === "number") {
    // The server closes with 4401 when the key is missing or wrong: the same code as HTTP's 401 answer.
    if (close.code === 4401) return new SdkError("UNAUTHENTICATED", String(close.reason || "The server needs an API key"), { extensions: { closeCode: 4401 }, cause: error });
    return new SdkError("NETWORK_ERROR", `WebSocket closed (${close.code}${close.reason ? `: ${String(close.reason)}` : ""})`, {
      extensions: { closeCode: close.code, reason: close.reason },
      cause: error,
    });
  }
  return new SdkError("NETWORK_ERROR", `WebSocket failed: ${typeof close?.message === "string" ? close.message : String(error)}`, { cause: error });
}

/** http(s)://host/graphql → ws(s)://host/graphql; relative URLs resolve against the page in browsers. */
export function toWebSocketUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const parsed = new URL(url, base);
  parsed.protocol = parsed.protocol === "https:" ? "wss:" : parsed.protocol === "http:" ? "ws:" : parsed.protocol;
  return parsed.toString();
}
