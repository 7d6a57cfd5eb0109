// A small OpenAI-compatible HTTP server on loopback for tests: it speaks the real chat-completions wire
// format, records every request, and answers from a script (content, JSON errors, delays).
import http from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

export interface StubRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface StubReply {
  /** The assistant message's text. */
  content?: string;
  refusal?: string;
  /** An HTTP error with OpenAI's error body. */
  status?: number;
  error?: { message: string; type?: string; code?: string };
  /** Wait before answering (to test timeouts). */
  delayMs?: number;
  /** For a streamed request (stream: true): the content's pieces, in order; default: the content in 8-character pieces. */
  chunks?: string[];
  /** Wait between streamed pieces. */
  chunkDelayMs?: number;
  /** Cut the connection after this many streamed pieces, as a failing upstream would. */
  breakAfterChunks?: number;
}

export type StubScript = (request: StubRequest, index: number) => StubReply;

export interface OpenAIStub {
  /** Base URL to use as OPENAI_BASE_URL (ends in /v1). */
  url: string;
  requests: StubRequest[];
  script(next: StubScript | StubReply): void;
  close(): Promise<void>;
}

export async function startOpenAIStub(initial: StubScript | StubReply = { content: "Ranked list: [1]\nReasons: only one" }): Promise<OpenAIStub> {
  let script: StubScript = asScript(initial);
  const requests: StubRequest[] = [];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const request: StubRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: text ? JSON.parse(text) : null };
    requests.push(request);

    if (request.method !== "POST" || request.path !== "/v1/chat/completions") {
      return send(res, 404, { error: { message: `No route ${request.method} ${request.path}`, type: "invalid_request_error" } });
    }
    const reply = script(request, requests.length - 1);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.status && reply.status >= 400) {
      return send(res, reply.status, { error: { message: reply.error?.message ?? "scripted failure", type: reply.error?.type ?? "server_error", code: reply.error?.code ?? null } });
    }
    if (request.body?.stream === true) return streamCompletion(res, request.body?.model ?? "stub-model", reply);
    send(res, 200, completion(request.body?.model ?? "stub-model", reply));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next) {
      script = asScript(next);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The panorama JPEG a chat-completions request carries as a data URL. */
export async function panoramaOf(request: StubRequest): Promise<{ bytes: Buffer; width: number; height: number; format: string }> {
  const parts = request.body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : []));
  const image = parts.find((p: any) => p.type === "image_url");
  if (!image) throw new Error("the request carries no image");
  const match = /^data:image\/jpeg;base64,(.+)$/.exec(image.image_url.url);
  if (!match) throw new Error(`not a JPEG data URL: ${String(image.image_url.url).slice(0, 40)}`);
  const bytes = Buffer.from(match[1], "base64");
  const meta = await sharp(bytes).metadata();
  return { bytes, width: meta.width!, height: meta.height!, format: meta.format! };
}

/** The text part of a chat-completions request. */
export function promptOf(request: StubRequest): string {
  const parts = request.body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [{ type: "text", text: m.content }]));
  return parts.filter((p: any) => p.type === "text").map((p: any) => p.text).join("\n");
}

function asScript(next: StubScript | StubReply): StubScript {
  return typeof next === "function" ? next : () => next;
}

function completion(model: string, reply: StubReply) {
  return {
    id: `chatcmpl-stub-${Date.now()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: reply.refusal ? null : (reply.content ?? ""), refusal: reply.refusal ?? null }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  };
}

/** The chat-completions streaming wire format: server-sent events of chunk objects, then [DONE]. */
async function streamCompletion(res: http.ServerResponse, model: string, reply: StubReply): Promise<void> {
  const content = reply.content ?? "";
  const pieces = reply.chunks ?? content.match(/[\s\S]{1,8}/g) ?? [];
  const id = `chatcmpl-stub-${Date.now()}`;
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  res.write(chunk({ role: "assistant", content: "" }, null));
  if (reply.refusal) res.write(chunk({ refusal: reply.refusal }, null));
  for (const [i, piece] of pieces.entries()) {
    if (reply.breakAfterChunks !== undefined && i >= reply.breakAfterChunks) {
      res.destroy();
      return;
    }
    if (reply.chunkDelayMs) await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
    if (res.destroyed) return;
    res.write(chunk({ content: piece }, null));
  }
  res.write(chunk({}, "stop"));
  res.end("data: [DONE]\n\n");
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}
