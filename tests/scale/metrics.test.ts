// GET /metrics over real HTTP, after real GraphQL traffic: operations by name and outcome, the model's
// batches, Milvus requests and failures, reranks, ingest throughput and resident memory.
import getPort from "get-port";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startTestServer, type TestServer } from "../support/server.js";

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
    env: { METRICS_TOKEN: TOKEN, MILVUS_URI: milvus.uri, OPENAI_BASE_URL: `http://127.0.0.1:${closedPort}/v1`, RERANK_MAX_RETRIES: "0" },
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
    expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="Overview",type="query",outcome="ok"}')).toBe(3);
    expect(m.value('mmrag_graphql_operation_duration_seconds_bucket{le="+Inf",operation="Overview",type="query",outcome="ok"}')).toBe(3);
    expect(m.value('mmrag_graphql_operation_duration_seconds_count{operation="TooMany",type="query",outcome="error"}')).toBe(1);
    expect(m.value('mmrag_graphql_errors_total{operation="TooMany",code="BAD_USER_INPUT"}')).toBe(1);
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
    expect(m.value('mmrag_graphql_errors_total{operation="Find",code="UPSTREAM_UNAVAILABLE"}')).toBe(1);
    expect(m.value('mmrag_embedding_request_duration_seconds_count{kind="text",outcome="ok"}')).toBe(1);
  });
});
