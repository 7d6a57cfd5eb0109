// GET /metrics over real HTTP, after real GraphQL traffic over HTTP and graphql-ws: operations by name,
// outcome and transport, open sockets and subscriptions, the model's batches, Milvus requests and
// failures, reranks, ingest throughput and resident memory.
import http from "node:http";
import type { AddressInfo } from "node:net";
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { wsClient } from "../support/ws-client.js";

const TOKEN = "scrape-token-0123456789";
let milvus: MilvusServer;
let server: TestServer;

/** Sample values by full series name, e.g. `mmrag_ingest_images_total{outcome="stored"}`. */
async function scrape(token: string | undefined = TOKEN, target = server): Promise<{ status: number; type: string | null; text: string; value(series: string): number | undefined }> {
  const res = await fetch(`${target.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\S+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match && !line.startsWith("#")) samples.set(match[1], Number(match[2]));
  }
  return { status: res.status, type: res.headers.get("content-type"), text, value: (series) => samples.get(series) };
}

async function ingest(files: Buffer[]): Promise<string> {
  const query = `mutation Ingest($files: [Upload!]!) { ingestImages(files: $files) { id } }`;
  const form = new FormData();
  form.append("operations", JSON.stringify({ query, operationName: "Ingest", variables: { files: files.map(() => null) } }));
  form.append("map", JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
  files.forEach((bytes, i) => form.append(String(i), new Blob([new Uint8Array(bytes)]), `f${i}.jpg`));
  const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  const body = (await res.json()) as { data: { ingestImages: { id: string } } };
  return body.data.ingestImages.id;
}

beforeAll(async () => {
  milvus = await startMilvusServer();
  // An LLM endpoint that refuses connections: every rerank fails and falls back to the vector order.
  const closedPort = await getPort({ host: "127.0.0.1" });
  server = await startTestServer({
    env: { METRICS_TOKEN: TOKEN, MILVUS_URI: milvus.uri, INGEST_URL_ALLOWLIST: "127.0.0.1", OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`, RERANK_MAX_RETRIES: "0" },
  });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await milvus?.stop();
});

describe("GET /metrics", () => {
  it("is off unless METRICS_TOKEN is set", async () => {
    const plain = await startTestServer();
    expect((await scrape(TOKEN, plain)).status).toBe(404);
    await plain.close();
  });

  it("refuses a scraper without the token, or with a wrong one", async () => {
    expect((await scrape("")).status).toBe(401);
    expect((await scrape("scrape-token-wrong-456789")).status).toBe(401);
  });

  it("counts GraphQL operations by name and outcome, with latency histograms and error codes", async () => {
    for (let i = 0; i < 3; i++) expect((await server.graphql(`query Overview { stats { images } }`)).errors).toBeUndefined();
    const bad = await server.graphql(`query TooMany { images(first: 5000) { totalCount } }`);
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const m = await scrape();
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="Overview",type="query",outcome="ok",transport="http"}')).toBe(3);
    expect(m.value('mmrag_graphql_operation_duration_seconds_bucket{le="+Inf",operation="Overview",type="query",outcome="ok",transport="http"}')).toBe(3);
    expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="TooMany",type="query",outcome="error",transport="http"}')).toBe(1);
    expect(m.value('mmrag_graphql_errors_total{operation="TooMany",code="BAD_USER_INPUT",transport="http"}')).toBe(1);
  });

  it("counts ingest throughput, the model's batch sizes and Milvus requests", async () => {
    const files = await Promise.all([0, 1, 2, 3, 4].map((i) => makeJpeg(900 + i)));
    const jobId = await ingest([...files, files[0]]);
    for (let status = "RUNNING"; status === "RUNNING" || status === "QUEUED"; ) {
      status = (await server.graphql(`query Job($id: ID!) { ingestJob(id: $id) { status } }`, { id: jobId })).data!.ingestJob.status;
    }
    const m = await scrape();
    expect(m.value('mmrag_ingest_images_total{outcome="stored"}')).toBe(5);
    expect(m.value('mmrag_ingest_images_total{outcome="existing"}')).toBe(1);
    expect(m.value('mmrag_ingest_jobs{status="SUCCEEDED"}')).toBe(1);
    expect(m.value("mmrag_ingest_queue_depth")).toBe(0);
    // vbge-tiny embeds images with its composed graph: five images in one or more batches.
    expect(m.value('mmrag_embedding_batch_size_sum{graph="composed"}')).toBe(5);
    expect(m.value('mmrag_embedding_request_duration_seconds_count{kind="image",outcome="ok"}')).toBe(5);
    expect(m.value('mmrag_milvus_request_duration_seconds_count{operation="upsert",outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(m.value("process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
  });

  it("counts queries and subscriptions sent over graphql-ws, and the sockets and subscriptions open now", async () => {
    // An image host that answers when the test says so: until then the ingest job, and its progress stream, stay open.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const jpeg = await makeJpeg(950);
    const host = http.createServer((_req, res) => void released.then(() => res.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg)));
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const client = wsClient(server.url);
    const results = (query: string, variables?: Record<string, unknown>) => client.iterate<any>({ query, variables });
    try {
      for await (const result of results(`query OverSocket { stats { images } }`)) expect(result.errors).toBeUndefined();
      for await (const result of results(`query TooManyOverSocket { images(first: 5000) { totalCount } }`)) expect(result.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
      await expect(results(`query Unparsable {`).next()).rejects.toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "GRAPHQL_PARSE_FAILED" }) })]);

      const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/slow.jpg`;
      const job = await server.graphql(`mutation { ingestUrls(urls: ["${url}"]) { id } }`);
      const subscribe = (name: string) => results(`subscription ${name}($jobId: ID!) { ingestProgress(jobId: $jobId) { status } }`, { jobId: job.data!.ingestUrls.id });
      const [progress, leaving] = [subscribe("Progress"), subscribe("LeavesEarly")];
      for (const stream of [progress, leaving]) expect((await stream.next()).value.data.ingestProgress.status).toMatch(/QUEUED|RUNNING/);
      const streaming = await scrape();
      expect(streaming.value("mmrag_graphql_ws_connections")).toBe(1);
      expect(streaming.value("mmrag_graphql_ws_subscriptions")).toBe(2);
      // A client that stops listening ends its subscription on the server.
      await leaving.return!();
      const ended = 'mmrag_graphql_operation_duration_seconds_count{operation="LeavesEarly",type="subscription",outcome="ok",transport="ws"}';
      for (let i = 0; i < 100 && (await scrape()).value(ended) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await scrape()).value("mmrag_graphql_ws_subscriptions")).toBe(1);
      release();
      const statuses: string[] = [];
      for await (const event of progress) statuses.push(event.data.ingestProgress.status);
      expect(statuses.at(-1)).toBe("SUCCEEDED");

      const m = await scrape();
      expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="OverSocket",type="query",outcome="ok",transport="ws"}')).toBe(1);
      expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="TooManyOverSocket",type="query",outcome="error",transport="ws"}')).toBe(1);
      expect(m.value('mmrag_graphql_errors_total{operation="TooManyOverSocket",code="BAD_USER_INPUT",transport="ws"}')).toBe(1);
      expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="(anonymous)",type="unknown",outcome="error",transport="ws"}')).toBe(1);
      expect(m.value('mmrag_graphql_errors_total{operation="(anonymous)",code="GRAPHQL_PARSE_FAILED",transport="ws"}')).toBe(1);
      expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="Progress",type="subscription",outcome="ok",transport="ws"}')).toBe(1);
      expect(m.value("mmrag_graphql_ws_subscriptions")).toBe(0);
    } finally {
      release();
      await client.dispose();
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
    // The server sees the socket close a moment after the client drops it.
    for (let i = 0; i < 100 && (await scrape()).value("mmrag_graphql_ws_connections") !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await scrape()).value("mmrag_graphql_ws_connections")).toBe(0);
  });

  it("counts reranks that fell back to the vector order", async () => {
    const res = await server.upload(`mutation Composed($image: Upload!) { searchComposed(image: $image, instruction: "the same, in red") { reranked rerankError } }`, {}, { image: { bytes: await makeJpeg(900), name: "q.jpg" } });
    expect(res.data!.searchComposed.reranked).toBe(false);
    const m = await scrape();
    expect(m.value('mmrag_rerank_duration_seconds_count{outcome="error"}')).toBe(1);
    expect(m.value("mmrag_rerank_errors_total")).toBe(1);
  });

  it("counts Milvus failures by operation and code", async () => {
    await milvus.stop();
    const res = await server.graphql(`query Find { search(text: "anything", limit: 3) { score } }`);
    expect(res.errors?.[0].extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    const m = await scrape();
    expect(m.value('mmrag_milvus_errors_total{operation="search",code="UPSTREAM_UNAVAILABLE"}')).toBe(1);
    expect(m.value('mmrag_graphql_errors_total{operation="Find",code="UPSTREAM_UNAVAILABLE",transport="http"}')).toBe(1);
    expect(m.value('mmrag_embedding_request_duration_seconds_count{kind="text",outcome="ok"}')).toBe(1);
  });
});
