// API keys, roles, signed file URLs and per-key rate limits, through real HTTP, graphql-ws and the SDK.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient as createWsClient } from "graphql-ws";
import { WebSocket } from "ws";
import { addKey, revokeKey } from "../../src/services/auth/api-keys.js";
import { loadBuiltSdk } from "../sdk/support.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { codes, post, upload } from "./support.js";

const ADD = "mutation ($file: Upload!) { addImage(file: $file) { image { id url thumbnailUrl } } }";
const INGEST = "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id } }";
const CANCEL = "mutation ($id: ID!) { cancelIngestJob(id: $id) { id } }";
const DELETE = "mutation ($id: ID!) { deleteImage(id: $id) }";

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Opens graphql-ws with connection params; resolves with the close code when the server ends the connection at once. */
function wsClient(baseUrl: string, authorization?: string) {
  let closeCode: number | undefined;
  const client = createWsClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
    on: { closed: (e) => (closeCode = (e as { code?: number }).code) },
  });
  const run = <T>(query: string, variables: Record<string, unknown> = {}) =>
    new Promise<{ data?: T; errors?: Array<{ extensions?: { code?: string } }>; closeCode?: number }>((resolve) => {
      let result: { data?: T; errors?: any[] } = {};
      client.subscribe<T>({ query, variables }, { next: (v) => (result = v as typeof result), error: (e) => resolve({ errors: Array.isArray(e) ? e : [], closeCode }), complete: () => resolve(result) });
    });
  return { run, dispose: () => client.dispose() };
}

describe("API keys and roles", () => {
  let server: TestServer;
  const keys: Record<"admin" | "writer" | "writer2" | "reader", string> = { admin: "", writer: "", writer2: "", reader: "" };
  let keyFile: string;

  beforeAll(async () => {
    keyFile = path.join(await tempDir("mmrag-keys-"), "keys.json");
    keys.admin = addKey(keyFile, "ops", "admin");
    keys.writer = addKey(keyFile, "partner-a", "write");
    keys.writer2 = addKey(keyFile, "partner-b", "write");
    keys.reader = addKey(keyFile, "frontend", "read");
    server = await startTestServer({ env: { API_KEYS_FILE: keyFile, RATE_LIMIT_PER_MINUTE: "0" } });
  });

  it("answers UNAUTHENTICATED (HTTP 401) without a key or with a wrong one", async () => {
    const none = await post(server.url, "{ stats { images } }");
    expect(none.status).toBe(401);
    expect(codes(none)).toEqual(["UNAUTHENTICATED"]);
    expect(none.body.errors![0].message).toMatch(/Authorization: Bearer/);
    const wrong = await post(server.url, "{ stats { images } }", {}, bearer("mmrag_not-a-key"));
    expect(codes(wrong)).toEqual(["UNAUTHENTICATED"]);
  });

  it("lets each role run what it may, and answers FORBIDDEN (403) for the rest", async () => {
    expect((await post(server.url, "{ stats { images } }", {}, bearer(keys.reader))).body.data).toEqual({ stats: { images: 0 } });
    const file = [{ path: "variables.file", file: { bytes: await makeJpeg(21), name: "a.jpg" } }];
    const readerAdd = await upload(server.url, ADD, { file: null }, file, { headers: bearer(keys.reader) });
    expect(readerAdd.status).toBe(403);
    expect(codes(readerAdd)).toEqual(["FORBIDDEN"]);

    const added = await upload(server.url, ADD, { file: null }, file, { headers: bearer(keys.writer) });
    expect(added.body.errors).toBeUndefined();
    const id = added.body.data!.addImage.image.id;
    expect(codes(await post(server.url, DELETE, { id }, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, 'mutation { ingestFolder(path: "/etc") { id } }', {}, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, 'mutation { ingestUrls(urls: ["http://example.com/a.jpg"]) { id } }', {}, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    const update = 'mutation ($id: ID!) { updateImage(id: $id, metadata: { title: "x" }) { id } }';
    expect(codes(await post(server.url, update, { id }, bearer(keys.reader)))).toEqual(["FORBIDDEN"]);
    expect((await post(server.url, update, { id }, bearer(keys.writer))).body.errors).toBeUndefined();
    expect(codes(await post(server.url, 'mutation { createCatalogue(name: "partner") { name } }', {}, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, 'mutation { reindex(model: "other") { id } }', {}, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, 'mutation { dropInactiveCollection(collection: "images") }', {}, bearer(keys.writer)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, 'mutation { reindex(model: "other") { id } }', {}, bearer(keys.admin)))).toEqual(["BAD_USER_INPUT"]);
    expect((await post(server.url, DELETE, { id }, bearer(keys.admin))).body.data).toEqual({ deleteImage: true });
  });

  it("lets a write key cancel its own jobs only; an admin key cancels any", async () => {
    const file = [{ path: "variables.files.0", file: { bytes: await makeJpeg(22), name: "b.jpg" } }];
    const job = (await upload(server.url, INGEST, { files: [null] }, file, { headers: bearer(keys.writer) })).body.data!.ingestImages.id;
    expect(codes(await post(server.url, CANCEL, { id: job }, bearer(keys.writer2)))).toEqual(["FORBIDDEN"]);
    expect(codes(await post(server.url, CANCEL, { id: job }, bearer(keys.writer)))).not.toContain("FORBIDDEN");
    expect(codes(await post(server.url, CANCEL, { id: job }, bearer(keys.admin)))).not.toContain("FORBIDDEN");
  });

  it("checks the key in graphql-ws connectionParams: 4401 without one, roles per operation with one", async () => {
    const anonymous = wsClient(server.url);
    expect((await anonymous.run("{ stats { images } }")).closeCode).toBe(4401);
    await anonymous.dispose();

    const reader = wsClient(server.url, `Bearer ${keys.reader}`);
    try {
      expect((await reader.run("{ stats { images } }")).data).toEqual({ stats: { images: expect.any(Number) } });
      expect((await reader.run(DELETE, { id: "x" })).errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    } finally {
      await reader.dispose();
    }
  });

  it("refuses a revoked key within a couple of seconds, without a restart", async () => {
    const key = addKey(keyFile, "temporary", "read");
    await new Promise((r) => setTimeout(r, 1100));
    expect(codes(await post(server.url, "{ stats { images } }", {}, bearer(key)))).toEqual([]);
    revokeKey(keyFile, "temporary");
    await new Promise((r) => setTimeout(r, 1100));
    expect(codes(await post(server.url, "{ stats { images } }", {}, bearer(key)))).toEqual(["UNAUTHENTICATED"]);
  });

  it("signs image and thumbnail URLs so an <img> works without headers; the bare routes answer 401/403", async () => {
    const added = await upload(server.url, ADD, { file: null }, [{ path: "variables.file", file: { bytes: await makeJpeg(23), name: "c.jpg" } }], { headers: bearer(keys.writer) });
    const { url, thumbnailUrl } = added.body.data!.addImage.image as { url: string; thumbnailUrl: string };
    expect(url).toMatch(/\?exp=\d+&sig=/);
    for (const signed of [url, thumbnailUrl]) expect((await fetch(signed)).status).toBe(200);

    const bare = url.split("?")[0];
    const unsigned = await fetch(bare);
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await fetch(url.replace(/sig=.{4}/, "sig=AAAA"))).status).toBe(403);
    expect((await fetch(url.replace(/exp=\d+/, "exp=1000"))).status).toBe(403);
    expect((await fetch(bare, { headers: bearer(keys.reader) })).status).toBe(200);
  });

  it("keeps signed URLs working across a restart without URL_SIGNING_SECRET (the secret is kept in DATA_DIR)", async () => {
    const dataDir = await tempDir();
    const first = await startTestServer({ dataDir, env: { API_KEYS_FILE: keyFile, RATE_LIMIT_PER_MINUTE: "0" } });
    const added = await upload(first.url, ADD, { file: null }, [{ path: "variables.file", file: { bytes: await makeJpeg(29), name: "r.jpg" } }], { headers: bearer(keys.writer) });
    const { url } = added.body.data!.addImage.image as { url: string };
    const signedPath = url.slice(first.url.length);
    await first.close();
    const second = await startTestServer({ dataDir, env: { API_KEYS_FILE: keyFile, RATE_LIMIT_PER_MINUTE: "0" } });
    try {
      expect((await fetch(`${second.url}${signedPath}`)).status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it("sends security headers on API responses too", async () => {
    const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...bearer(keys.reader) }, body: '{"query":"{ stats { images } }"}' });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
  });

  it("the SDK's apiKey reaches both transports", async () => {
    const sdk = await loadBuiltSdk();
    const client = sdk.createClient({ url: `${server.url}/graphql`, apiKey: keys.writer, webSocketImpl: WebSocket });
    try {
      expect(await client.stats()).toMatchObject({ images: expect.any(Number) });
      const job = await client.ingestAndWait([new Blob([new Uint8Array(await makeJpeg(24))])]);
      expect(job.status).toBe("SUCCEEDED");
    } finally {
      await client.close();
    }
    const anonymous = sdk.createClient({ url: `${server.url}/graphql`, webSocketImpl: WebSocket });
    await expect(anonymous.stats()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    // Over graphql-ws too: the web demo asks for a key on this code, whichever transport met it.
    const progress = anonymous.ingestProgress("no-such-job")[Symbol.asyncIterator]();
    await expect(progress.next()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await anonymous.close();
  });
});

describe("rate limits", () => {
  it("spends each key's own budget, heavier operations costing more, and answers RATE_LIMITED with a retry-after", async () => {
    const keyFile = path.join(await tempDir("mmrag-keys-"), "keys.json");
    const a = addKey(keyFile, "a", "read");
    const b = addKey(keyFile, "b", "read");
    const server: TestServer = await startTestServer({ env: { API_KEYS_FILE: keyFile, RATE_LIMIT_PER_MINUTE: "12" } });

    // A reranked composed search costs 10 points of a's 12; two lookups spend the rest.
    const composed = await post(server.url, 'mutation { searchComposed(imageId: "0000000000000000000000000000000000000000000000000000000000000000", instruction: "red") { hits { score } } }', {}, bearer(a));
    expect(codes(composed)).not.toContain("RATE_LIMITED");
    for (let i = 0; i < 2; i++) expect(codes(await post(server.url, "{ stats { images } }", {}, bearer(a)))).toEqual([]);
    const limited = await post(server.url, "{ stats { images } }", {}, bearer(a));
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(["RATE_LIMITED"]);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(limited.body.errors![0].extensions!.retryAfter).toBe(retryAfter);

    // b's budget is its own.
    expect(codes(await post(server.url, "{ stats { images } }", {}, bearer(b)))).toEqual([]);
  });
});

describe("signed panorama URLs", () => {
  it("serve the panorama a reranked search drew to its signed URL only", async () => {
    const { startOpenAIStub } = await import("../support/openai-stub-server.js");
    const stub = await startOpenAIStub();
    try {
      const keyFile = path.join(await tempDir("mmrag-keys-"), "keys.json");
      const writer = addKey(keyFile, "w", "write");
      const server = await startTestServer({
        env: { API_KEYS_FILE: keyFile, OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_RESPONSE_FORMAT: "text", RERANK_MAX_RETRIES: "0" },
      });
      const ids: string[] = [];
      for (const seed of [31, 32, 33]) {
        const added = await upload(server.url, ADD, { file: null }, [{ path: "variables.file", file: { bytes: await makeJpeg(seed), name: "p.jpg" } }], { headers: bearer(writer) });
        ids.push(added.body.data!.addImage.image.id);
      }
      const id = ids[0];
      const res = await post(server.url, "mutation ($id: ID!) { searchComposed(imageId: $id, instruction: \"same\") { reranked rerankError panoramaUrl } }", { id }, bearer(writer));
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.searchComposed).toMatchObject({ reranked: true });
      const { panoramaUrl } = res.body.data!.searchComposed as { panoramaUrl: string };
      expect(panoramaUrl).toMatch(/\/panoramas\/.+\?exp=\d+&sig=/);
      const served = await fetch(panoramaUrl);
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toMatch(/image\/jpeg/);
      expect((await fetch(panoramaUrl.split("?")[0])).status).toBe(401);
    } finally {
      await stub.close();
    }
  });
});
