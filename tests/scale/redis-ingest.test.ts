// Ingest across processes' worth of apps sharing only Redis, a Milvus server and the image storage:
// two API replicas (no ingest work of their own) and workers. A job started on one replica is followed,
// read and cancelled on the other; images are stored once however often they are sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const JOB = "id status total processed succeeded skipped failed errors { item code } message";
const INGEST = `mutation($files: [Upload!]!, $metadata: [JSONObject]) { ingestImages(files: $files, metadata: $metadata) { ${JOB} } }`;
const PROGRESS = `subscription($jobId: ID!) { ingestProgress(jobId: $jobId) { ${JOB} } }`;

let redis: RedisServer;
let milvus: MilvusServer;
let apiA: TestServer;
let apiB: TestServer;
let worker: TestServer;
let env: Record<string, string>;
let sharedDir: string;

async function ingest(server: TestServer, files: Buffer[], metadata?: unknown[]) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: INGEST, variables: { metadata, files: files.map(() => null) } }));
  form.append("map", JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
  files.forEach((bytes, i) => form.append(String(i), new Blob([new Uint8Array(bytes)]), `img-${i}.jpg`));
  const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  const body = (await res.json()) as { data?: any; errors?: any[] };
  expect(body.errors).toBeUndefined();
  return body.data.ingestImages;
}

const images = (n: number, from: number) => Promise.all(Array.from({ length: n }, (_, i) => makeJpeg(from + i, 96, 72)));

beforeAll(async () => {
  [redis, milvus] = await Promise.all([startRedisServer(), startMilvusServer()]);
  // One data folder for all: the shared image storage of this test (a volume, or a bucket in production).
  sharedDir = await tempDir();
  env = { REDIS_URL: redis.url, MILVUS_URI: milvus.uri, INGEST_CHUNK_SIZE: "5", INGEST_CONCURRENCY: "4" };
  apiA = await startTestServer({ dataDir: sharedDir, env: { ...env, MMRAG_ROLE: "api" } });
  apiB = await startTestServer({ dataDir: sharedDir, env: { ...env, MMRAG_ROLE: "api" } });
}, 180_000);
afterAll(async () => {
  for (const server of [apiA, apiB, worker]) await server?.close();
});

describe("ingest on Redis with API and worker roles", () => {
  it("queues a job on an API replica without running it there", async () => {
    expect(apiA.app.services.worker).toBeUndefined();
    const job = await ingest(apiA, await images(3, 100));
    expect(job).toMatchObject({ status: "QUEUED", total: 3, processed: 0 });
    const onB = (await apiB.graphql(`query($id: ID!) { ingestJob(id: $id) { status total } }`, { id: job.id })).data!.ingestJob;
    expect(onB).toEqual({ status: "QUEUED", total: 3 });
    // The uploads wait in the shared storage for a worker, not on replica A's disk.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await apiB.graphql(`query($id: ID!) { ingestJob(id: $id) { status } }`, { id: job.id })).data!.ingestJob.status).toBe("QUEUED");
    worker = await startTestServer({ dataDir: sharedDir, env: { ...env, MMRAG_ROLE: "worker" } });
    const done = await apiB.app.services.ingest.wait(job.id);
    expect(done).toMatchObject({ status: "SUCCEEDED", processed: 3, succeeded: 3 });
    // A worker answers health checks, not clients.
    expect((await fetch(`${worker.url}/healthz`)).status).toBe(200);
    const refused = await fetch(`${worker.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ stats { images } }" }) });
    expect(refused.status).toBe(404);
  });

  it("follows a job started on replica A through replica B's subscription, to the end", async () => {
    const files = await images(23, 200);
    const job = await ingest(apiA, files, files.map((_, i) => ({ n: i })));
    const { events, errors } = await collect(wsClient(apiB.url), PROGRESS, { jobId: job.id });
    expect(errors).toEqual([]);
    const last = events.at(-1)!.ingestProgress;
    expect(last).toMatchObject({ status: "SUCCEEDED", total: 23, processed: 23, succeeded: 23, skipped: 0, failed: 0 });
    const processed = events.map((e: any) => e.ingestProgress.processed);
    expect([...processed].sort((a, b) => a - b)).toEqual(processed);
    expect((await apiA.graphql(`{ stats { images } }`)).data!.stats.images).toBe(26);
    // Either replica serves what a worker stored.
    const list = (await apiB.graphql(`{ images(first: 100, filter: { metadata: { n: 7 } }) { edges { node { url } } } }`)).data!.images.edges;
    expect(list).toHaveLength(1);
    const res = await fetch(list[0].node.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(files[7])).toBe(true);
  });

  it("stores each image once: sent again, with a bad file among them, only the new ones are added", async () => {
    const again = [...(await images(10, 200)), Buffer.from("not an image"), ...(await images(4, 900))];
    const job = await ingest(apiB, again);
    const done = await apiA.app.services.ingest.wait(job.id);
    expect(done).toMatchObject({ status: "PARTIAL", processed: 15, succeeded: 4, skipped: 10, failed: 1 });
    expect(done.errors).toEqual([{ item: "img-10.jpg", code: "UNSUPPORTED_MEDIA_TYPE", message: expect.any(String) }]);
    expect((await apiA.graphql(`{ stats { images } }`)).data!.stats.images).toBe(30);
  });

  it("cancels from replica B a job that replica A started, and removes its staged uploads", async () => {
    await worker.close();
    const job = await ingest(apiA, await images(12, 400));
    const cancelling = apiB.graphql(`mutation($id: ID!) { cancelIngestJob(id: $id) { ${JOB} } }`, { id: job.id });
    // The cancel is recorded at once; the job ends when a worker has looked at each chunk.
    await new Promise((resolve) => setTimeout(resolve, 200));
    worker = await startTestServer({ dataDir: sharedDir, env: { ...env, MMRAG_ROLE: "worker" } });
    const res = await cancelling;
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelIngestJob).toMatchObject({ status: "CANCELLED", processed: 0, total: 12 });
    expect((await apiA.graphql(`{ stats { images } }`)).data!.stats.images).toBe(30);
    const staged: string[] = [];
    const { LocalBlobStore } = await import("../../src/services/storage/local-blob-store.js");
    for await (const info of new LocalBlobStore(`${sharedDir}/images`).list(`staging/${job.id}/`)) staged.push(info.key);
    expect(staged).toEqual([]);
  });

  it("ingests into a named catalogue, which the worker opens by name", async () => {
    expect((await apiA.graphql(`mutation { createCatalogue(name: "shoes") { name } }`)).errors).toBeUndefined();
    const form = new FormData();
    const files = await images(2, 600);
    form.append("operations", JSON.stringify({ query: `mutation($files: [Upload!]!) { ingestImages(files: $files, catalogue: "shoes") { id catalogue } }`, variables: { files: [null, null] } }));
    form.append("map", JSON.stringify({ 0: ["variables.files.0"], 1: ["variables.files.1"] }));
    files.forEach((bytes, i) => form.append(String(i), new Blob([new Uint8Array(bytes)]), `s${i}.jpg`));
    const started = ((await (await fetch(`${apiA.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form })).json()) as any).data.ingestImages;
    expect(started.catalogue).toBe("shoes");
    expect(await apiB.app.services.ingest.wait(started.id)).toMatchObject({ status: "SUCCEEDED", succeeded: 2, catalogue: "shoes" });
    expect((await apiB.graphql(`{ stats(catalogue: "shoes") { images } }`)).data!.stats.images).toBe(2);
    expect((await apiB.graphql(`{ stats { images } }`)).data!.stats.images).toBe(30);
  });

  it("lists jobs from any replica, newest first", async () => {
    const onA = (await apiA.graphql(`{ ingestJobs(limit: 10) { id status } }`)).data!.ingestJobs;
    const onB = (await apiB.graphql(`{ ingestJobs(limit: 10) { id status } }`)).data!.ingestJobs;
    expect(onA).toEqual(onB);
    expect(onA.map((j: any) => j.status)).toEqual(["SUCCEEDED", "CANCELLED", "PARTIAL", "SUCCEEDED", "SUCCEEDED"]);
  });
});
