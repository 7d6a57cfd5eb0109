// State that must be the same on every API replica: a key's rate budget and which key started a job. Two
// real API processes and a worker share Debian's redis-server, a Milvus server and an S3 server; a caller
// that moves between replicas (as a load balancer moves it) gets one budget and keeps its own jobs.
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { addKey } from "../../src/services/auth/api-keys.js";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startServerProcess, type ServerProcess } from "../support/processes.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startS3Server, type S3Server } from "../support/s3-server.js";
import { tempDir, testEnv } from "../support/server.js";
import { codes, post, upload } from "../security/support.js";

const BUDGET = 20;
const STATS = "{ stats { images } }";
const INGEST = "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id status } }";
const CANCEL = "mutation ($id: ID!) { cancelIngestJob(id: $id) { id status } }";

let redis: RedisServer;
let milvus: MilvusServer;
let s3: S3Server;
let apiA: ServerProcess;
let apiB: ServerProcess;
let worker: ServerProcess;
const keys: Record<string, string> = {};
const bearer = (name: string) => ({ authorization: `Bearer ${keys[name]}` });

beforeAll(async () => {
  [redis, milvus, s3] = await Promise.all([startRedisServer(), startMilvusServer(), startS3Server()]);
  await s3.createBucket("mmrag");
  // Every replica reads the same key file, as the README asks of a deployment.
  const keyFile = path.join(await tempDir("mmrag-keys-"), "keys.json");
  for (const [name, role] of [["reader", "read"], ["outage", "read"], ["owner", "write"], ["other", "write"]] as const) keys[name] = addKey(keyFile, name, role);
  const shared = {
    ...s3.env,
    IMAGE_STORE: "s3://mmrag/catalogue",
    REDIS_URL: redis.url,
    MILVUS_URI: milvus.uri,
    API_KEYS_FILE: keyFile,
    RATE_LIMIT_PER_MINUTE: String(BUDGET),
    INGEST_CHUNK_SIZE: "5",
    INGEST_CONCURRENCY: "1",
    LOG_LEVEL: "info",
  };
  const envFor = async (role: string) => (await testEnv(await tempDir(), { ...shared, MMRAG_ROLE: role })) as Record<string, string>;
  [apiA, apiB, worker] = await Promise.all(["api", "api", "worker"].map(async (role) => startServerProcess(await envFor(role))));
}, 300_000);

afterAll(async () => {
  // The last test stops Redis: a drain would wait on it, so the processes go down like crashed machines.
  for (const p of [apiA, apiB, worker]) await p?.kill();
});

it("spends one budget per key across replicas: part on A, the rest on B, then RATE_LIMITED with a retry-after", async () => {
  for (let i = 0; i < BUDGET / 2; i++) expect(codes(await post(apiA.url, STATS, {}, bearer("reader")))).toEqual([]);
  for (let i = 0; i < BUDGET / 2; i++) expect(codes(await post(apiB.url, STATS, {}, bearer("reader")))).toEqual([]);
  for (const api of [apiB, apiA]) {
    const limited = await post(api.url, STATS, {}, bearer("reader"));
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(["RATE_LIMITED"]);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.errors![0].extensions!.retryAfter).toBe(retryAfter);
  }
  // Another key's budget is its own.
  expect(codes(await post(apiB.url, STATS, {}, bearer("other")))).toEqual([]);
});

it("lets a write key cancel on replica B the job it started on replica A, and refuses another write key", async () => {
  const images = await Promise.all(Array.from({ length: 60 }, (_, i) => makeJpeg(7000 + i, 64, 48)));
  const started = await upload(
    apiA.url,
    INGEST,
    { files: images.map(() => null) },
    images.map((bytes, i) => ({ path: `variables.files.${i}`, file: { bytes, name: `c${i}.jpg` } })),
    { headers: bearer("owner") },
  );
  expect(started.body.errors).toBeUndefined();
  const id = started.body.data!.ingestImages.id;

  const refused = await post(apiB.url, CANCEL, { id }, bearer("other"));
  expect(refused.status).toBe(403);
  expect(codes(refused)).toEqual(["FORBIDDEN"]);
  expect(refused.body.errors![0].message).toMatch(/started by another key/);

  const cancelled = await post(apiB.url, CANCEL, { id }, bearer("owner"));
  expect(cancelled.body.errors).toBeUndefined();
  expect(cancelled.body.data!.cancelIngestJob).toMatchObject({ id, status: "CANCELLED" });
  // The refused key did not cancel it: the job ran on until its owner did, as A reports too.
  expect((await post(apiA.url, `query ($id: ID!) { ingestJob(id: $id) { status } }`, { id }, bearer("owner"))).body.data!.ingestJob.status).toBe("CANCELLED");
});

it("signs image URLs on one replica that the other serves (no URL_SIGNING_SECRET set: the secret is shared in Redis)", async () => {
  const ADD = "mutation ($file: Upload!) { addImage(file: $file) { image { url thumbnailUrl } } }";
  const added = await upload(apiA.url, ADD, { file: null }, [{ path: "variables.file", file: { bytes: await makeJpeg(7100, 64, 48), name: "u.jpg" } }], { headers: bearer("owner") });
  expect(added.body.errors).toBeUndefined();
  const { url, thumbnailUrl } = added.body.data!.addImage.image as { url: string; thumbnailUrl: string };
  for (const signed of [url, thumbnailUrl]) {
    const { pathname, search } = new URL(signed);
    expect(search).toMatch(/sig=/);
    expect((await fetch(`${apiB.url}${pathname}${search}`)).status).toBe(200);
  }
});

it("counts per replica while Redis is unreachable instead of refusing everyone", async () => {
  await redis.stop();
  for (const api of [apiA, apiB]) {
    for (let i = 0; i < BUDGET; i++) expect(codes(await post(api.url, STATS, {}, bearer("outage")))).toEqual([]);
    expect(codes(await post(api.url, STATS, {}, bearer("outage")))).toEqual(["RATE_LIMITED"]);
    await expect.poll(() => api.output()).toMatch(/Redis unreachable: rate limits count per process/);
  }
});
