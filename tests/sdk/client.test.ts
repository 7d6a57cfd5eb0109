// The SDK from sdk/dist against a real server: uploads of every kind, ingest followed to the end, every
// query, typed errors, and subscriptions that give their socket back.
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ERROR_CODES } from "../../src/error-codes.js";
import type { MmragClient } from "../../sdk/src/index.js";
import { makeJpeg, makePng } from "../support/images.js";
import { startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { countWebSockets, loadBuiltSdk, type Sdk } from "./support.js";

let sdk: Sdk;
let server: TestServer;
let stub: OpenAIStub;
let client: MmragClient;
let sockets: ReturnType<typeof countWebSockets>;
let dir: string;
let query: Buffer;
let queryPath: string;

beforeAll(async () => {
  [sdk, stub, dir] = await Promise.all([loadBuiltSdk(), startOpenAIStub(), tempDir("mmrag-sdk-")]);
  server = await startTestServer({
    env: { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_RESPONSE_FORMAT: "text", RERANK_MAX_RETRIES: "0", RERANK_TIMEOUT_MS: "2000", INGEST_CONCURRENCY: "2" },
  });
  sockets = countWebSockets(server.app.httpServer);
  client = sdk.createClient({ url: `${server.url}/graphql` });
  query = await makeJpeg(900);
  queryPath = path.join(dir, "query.jpg");
  await fs.writeFile(queryPath, query);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await stub?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** Resolves once the server has no WebSocket open, failing after a few seconds. */
async function socketsClosed() {
  await Promise.race([sockets.closed(), new Promise((_, reject) => setTimeout(() => reject(new Error(`${sockets.open} WebSocket(s) still open`)), 5000))]);
  expect(sockets.open).toBe(0);
}

async function expectSdkError(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => expect.unreachable(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(sdk.SdkError);
  expect(error).toMatchObject({ name: "SdkError", code });
  return error as InstanceType<Sdk["SdkError"]>;
}

describe("ingest", () => {
  it("ingestAndWait uploads Buffers, a Blob and a file path, and resolves with the final state after following progress", async () => {
    const pngPath = path.join(dir, "from-disk.png");
    await fs.writeFile(pngPath, await makePng(5));
    const files = [await makeJpeg(1), await makeJpeg(2), await makeJpeg(3), new Blob([new Uint8Array(await makeJpeg(4))], { type: "image/jpeg" }), pngPath];
    const states: Array<{ processed: number; status: string }> = [];

    const job = await client.ingestAndWait(files, { metadata: files.map((_, i) => ({ title: `item ${i}` })), onProgress: (s) => states.push(s) });

    expect(job).toMatchObject({ status: "SUCCEEDED", kind: "upload", total: 5, processed: 5, succeeded: 5, failed: 0, errors: [] });
    expect(job.finishedAt).not.toBeNull();
    expect(states.length).toBeGreaterThanOrEqual(1);
    expect(states.at(-1)).toEqual(job);
    for (let i = 1; i < states.length; i++) expect(states[i].processed).toBeGreaterThanOrEqual(states[i - 1].processed);
    expect(await client.ingestJob({ id: job.id })).toEqual(job);
    expect((await client.ingestJobs()).map((j) => j.id)).toContain(job.id);

    const page = await client.images({ first: 10 });
    expect(page.totalCount).toBe(5);
    expect(page.nodes.map((image) => image.metadata.title).sort()).toEqual(["item 0", "item 1", "item 2", "item 3", "item 4"]);
    expect(page.nodes.find((image) => image.format === "png")).toBeDefined();
    expect((await client.stats()).images).toBe(5);
    await socketsClosed();
  });

  it("reports items that fail in the job, and the same upload twice as skipped", async () => {
    const job = await client.ingestAndWait([{ data: Buffer.from("%PDF-1.4 not an image"), name: "notes.pdf" }, await makeJpeg(1)]);
    expect(job).toMatchObject({ status: "PARTIAL", failed: 1, skipped: 1, succeeded: 0 });
    expect(job.errors).toEqual([expect.objectContaining({ item: "notes.pdf", code: "UNSUPPORTED_MEDIA_TYPE" })]);
  });
});

describe("search", () => {
  it("searchComposed takes a Buffer, a Blob, a file path, a stream and a named upload, and finds the same images for each", async () => {
    const variables = { instruction: "phone case with this image theme", limit: 3, rerank: false };
    const results = [
      await client.searchComposed({ ...variables, image: query }),
      await client.searchComposed({ ...variables, image: new Blob([new Uint8Array(query)]) }),
      await client.searchComposed({ ...variables, image: new File([new Uint8Array(query)], "query.jpg", { type: "image/jpeg" }) }),
      await client.searchComposed({ ...variables, image: queryPath }),
      await client.searchComposed({ ...variables, image: createReadStream(queryPath) }),
      await client.searchComposed({ ...variables, image: { data: new Uint8Array(query), name: "query.jpg", type: "image/jpeg" } }),
    ];
    for (const result of results) {
      expect(result).toMatchObject({ reranked: false, instruction: variables.instruction, instructionTruncated: false });
      expect(result.hits).toHaveLength(3);
      expect(result.ranking.map((h) => h.image.id)).toEqual(result.hits.map((h) => h.image.id));
      expect(result.hits.map((h) => h.image.id)).toEqual(results[0].hits.map((h) => h.image.id));
      expect(result.best?.image.id).toBe(result.hits[0].image.id);
      expect(result.timings.totalMs).toBeGreaterThan(0);
    }
  });

  it("searchComposed reranks with the LLM and by a catalogue image's id", async () => {
    const [first] = (await client.images({ first: 1 })).nodes;
    stub.script({ content: "Ranked list: [3, 1]\nReasons: the third candidate matches best" });
    const result = await client.searchComposed({ imageId: first.id, instruction: "poster in these colours", limit: 4 });
    expect(result.reranked).toBe(true);
    expect(result.explanation).toContain("matches best");
    expect(result.best?.image.id).toBe(result.hits[2].image.id);
    expect(result.panoramaUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/panoramas\//);
  });

  it("search, searchByImage, similarTo, image and deleteImage", async () => {
    const { image, created } = await client.addImage({ file: await makeJpeg(77), metadata: { title: "to delete" } });
    expect(created).toBe(true);
    expect(await client.image({ id: image.id })).toEqual(image);

    expect(await client.search({ text: "a red leopard phone case", limit: 2 })).toHaveLength(2);
    const byImage = await client.searchByImage({ image: await makeJpeg(77), limit: 2 });
    expect(byImage[0].image.id).toBe(image.id);
    expect(byImage[0].score).toBeGreaterThan(0.99);
    const similar = await client.similarTo({ imageId: image.id, limit: 3, filter: { format: "jpeg" } });
    expect(similar.map((h) => h.image.id)).not.toContain(image.id);
    expect(similar.every((h) => h.image.format === "jpeg")).toBe(true);

    expect(await client.deleteImage({ id: image.id })).toBe(true);
    expect(await client.image({ id: image.id })).toBeNull();
  });
});

describe("options", () => {
  it("sends apiKey and headers with every request through the given fetch, with the preflight header on uploads", async () => {
    const sent: Array<{ headers: Headers; multipart: boolean }> = [];
    const recording = sdk.createClient({
      url: `${server.url}/graphql`,
      apiKey: "secret",
      headers: async () => ({ "x-tenant": "shop-1" }),
      fetch: (input, init) => {
        sent.push({ headers: new Headers(init?.headers), multipart: init?.body instanceof FormData });
        return fetch(input, init);
      },
    });
    await recording.stats({}, { headers: { "x-request-id": "sdk-test-1" } });
    await recording.searchByImage({ image: query, limit: 1 });
    expect(sent.map((r) => r.multipart)).toEqual([false, true]);
    for (const { headers } of sent) {
      expect(headers.get("authorization")).toBe("Bearer secret");
      expect(headers.get("x-tenant")).toBe("shop-1");
    }
    expect(sent[0].headers.get("x-request-id")).toBe("sdk-test-1");
    expect(sent[0].headers.get("content-type")).toBe("application/json");
    expect(sent[1].headers.get("apollo-require-preflight")).toBe("true");
  });

  it("uses the given wsUrl and WebSocket class, and closes its socket once the subscription ends", async () => {
    const { WebSocket } = await import("ws");
    const opened: InstanceType<typeof WebSocket>[] = [];
    class Recording extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        opened.push(this);
      }
    }
    const explicit = sdk.createClient({ url: "http://127.0.0.1:9/not-used", wsUrl: `${server.url.replace("http", "ws")}/graphql`, webSocketImpl: Recording });
    const [job] = await client.ingestJobs({ limit: 1 });
    const states = [];
    for await (const state of explicit.ingestProgress({ jobId: job.id })) states.push(state);
    expect(states).toHaveLength(1);
    expect(opened).toHaveLength(1);
    await socketsClosed();
    await vi.waitFor(() => expect(opened[0].readyState).toBe(WebSocket.CLOSED));
  });

  it("exposes the generated SDK, answering whole data objects", async () => {
    expect(await client.raw.Stats()).toEqual({ stats: await client.stats() });
  });

  it("derives the WebSocket URL from the HTTP one", () => {
    expect(sdk.toWebSocketUrl("http://localhost:4000/graphql")).toBe("ws://localhost:4000/graphql");
    expect(sdk.toWebSocketUrl("https://mmrag.example.com/api/graphql?x=1")).toBe("wss://mmrag.example.com/api/graphql?x=1");
  });
});

describe("errors", () => {
  it("throws SdkError with the server's code and path for an upload that is not an image", async () => {
    const error = await expectSdkError(client.searchComposed({ image: Buffer.from("not an image at all"), instruction: "x", rerank: false }), "UNSUPPORTED_MEDIA_TYPE");
    expect(error.path).toEqual(["searchComposed"]);
    expect(error.errors).toHaveLength(1);
    expect(sdk.isSdkError(error, "UNSUPPORTED_MEDIA_TYPE")).toBe(true);
  });

  it("throws NOT_FOUND with the id in its extensions for an unknown image", async () => {
    const unknown = "0".repeat(64);
    const error = await expectSdkError(client.deleteImage({ id: unknown }), "NOT_FOUND");
    expect(error.extensions).toEqual({ id: unknown });
    expect(error.message).toContain(unknown);
    await expectSdkError(client.similarTo({ imageId: unknown }), "NOT_FOUND");
  });

  it("throws BAD_USER_INPUT for an argument out of range", async () => {
    await expectSdkError(client.ingestJobs({ limit: 0 }), "BAD_USER_INPUT");
  });

  it("throws client-side codes for a file that cannot be read and a server that cannot be reached", async () => {
    await expectSdkError(client.searchByImage({ image: path.join(dir, "missing.jpg") }), "INVALID_UPLOAD");
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const offline = sdk.createClient({ url: `http://127.0.0.1:${port}/graphql` });
    const unreachable = await expectSdkError(offline.stats(), "NETWORK_ERROR");
    expect(unreachable.message).toContain("ECONNREFUSED");
  });

  it("shares the server's list of error codes", () => {
    expect(sdk.ERROR_CODES).toEqual(ERROR_CODES);
  });
});

describe("subscriptions", () => {
  it("ingestProgress of a finished job yields its final state and ends; the socket closes", async () => {
    const [job] = await client.ingestJobs({ limit: 1 });
    const states = [];
    for await (const state of client.ingestProgress(job.id)) states.push(state);
    expect(states).toEqual([await client.ingestJob({ id: job.id })]);
    await socketsClosed();
  });

  it("throws NOT_FOUND for an unknown job", async () => {
    const iterate = async () => {
      for await (const _ of client.ingestProgress("no-such-job")) expect.unreachable();
    };
    await expectSdkError(iterate(), "NOT_FOUND");
    await socketsClosed();
  });

  it("gives the socket back when the caller breaks out early, and when an AbortSignal fires", async () => {
    const files = await Promise.all(Array.from({ length: 24 }, (_, i) => makeJpeg(300 + i)));
    const job = await client.ingestImages({ files });

    let seen = 0;
    for await (const state of client.ingestProgress(job.id)) {
      expect(state.id).toBe(job.id);
      expect(sockets.open).toBe(1);
      if (++seen === 1) break;
    }
    await socketsClosed();

    const abort = new AbortController();
    const followed = (async () => {
      for await (const _ of client.ingestProgress(job.id, { signal: abort.signal })) abort.abort();
    })();
    await expect(followed).rejects.toMatchObject({ name: "AbortError" });
    await socketsClosed();

    // Stopping to follow a job does not stop the job.
    let state = job;
    for await (const update of client.ingestProgress(job.id)) state = update;
    expect(state).toMatchObject({ status: "SUCCEEDED", succeeded: 24 });
    await socketsClosed();
  });

  it("close() ends a subscription in flight", async () => {
    const job = await client.ingestImages({ files: await Promise.all(Array.from({ length: 12 }, (_, i) => makeJpeg(500 + i))) });
    const separate = sdk.createClient({ url: `${server.url}/graphql` });
    const states: unknown[] = [];
    const followed = (async () => {
      for await (const state of separate.ingestProgress(job.id)) {
        states.push(state);
        if (states.length === 1) void separate.close();
      }
    })();
    await followed.catch(() => undefined);
    await socketsClosed();
    expect(states.length).toBeGreaterThanOrEqual(1);
    for await (const _ of client.ingestProgress(job.id));
    await socketsClosed();
  });
});

describe("ingestAndWait without subscriptions", () => {
  it("on Node 20 with no WebSocket, polls ingestJob and resolves with the final state", async () => {
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBeUndefined();
    const browserSdk = (await import(new URL("../../sdk/dist/browser.js", import.meta.url).href)) as typeof import("../../sdk/src/browser.js");
    const noWs = browserSdk.createClient({ url: `${server.url}/graphql` });
    const created: string[] = [];
    const states: Array<{ processed: number; status: string }> = [];
    const job = await noWs.ingestAndWait([await makeJpeg(1501), await makeJpeg(1502), await makeJpeg(1503)], {
      pollIntervalMs: 50,
      onJobCreated: (j) => created.push(j.id),
      onProgress: (s) => states.push(s),
    });
    expect(job).toMatchObject({ status: "SUCCEEDED", total: 3, succeeded: 3 });
    expect(created).toEqual([job.id]);
    expect(states.at(-1)).toEqual(job);
    // Exactly one job: nothing was uploaded twice.
    expect((await client.ingestJobs({ limit: 100 })).filter((j) => j.total === 3 && j.succeeded === 3 && j.id === job.id)).toHaveLength(1);
    await noWs.close();
  });

  it("puts the job id on an error raised after the job exists", async () => {
    // A real HTTP hop in front of the server that passes the upload and then drops every connection,
    // as a flaky network would after the job was created.
    let requests = 0;
    const proxy = http.createServer(async (req, res) => {
      if (++requests > 1) return req.socket.destroy();
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(["content-type", "apollo-require-preflight", "accept"].flatMap((h) => (req.headers[h] ? [[h, String(req.headers[h])]] : [])));
      const upstream = await fetch(`${server.url}/graphql`, { method: "POST", headers, body: Buffer.concat(chunks) });
      res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" }).end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const browserSdk = (await import(new URL("../../sdk/dist/browser.js", import.meta.url).href)) as typeof import("../../sdk/src/browser.js");
      const flaky = browserSdk.createClient({ url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` });
      const error = await expectSdkError(flaky.ingestAndWait([await makeJpeg(1601)], { pollIntervalMs: 50 }), "NETWORK_ERROR");
      expect(error.jobId).toMatch(/\S+/);
      // The job it names is the one the server made, and it finished there.
      await expect.poll(async () => (await client.ingestJob({ id: error.jobId! }))?.status).toBe("SUCCEEDED");
    } finally {
      proxy.close();
    }
  });
});
