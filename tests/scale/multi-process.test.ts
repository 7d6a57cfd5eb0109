// The whole scale-out story with real processes: two API replicas and two workers sharing Redis, an S3
// server and a Milvus server, all on loopback. 300 images go in through API 1 while API 2's subscription
// follows; one worker is killed mid-job. Every image ends up stored exactly once, in Milvus and in S3.
import { createHash } from "node:crypto";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startServerProcess, type ServerProcess } from "../support/processes.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { S3_CREDENTIALS, startS3Server, type S3Server } from "../support/s3-server.js";
import { tempDir, testEnv } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const IMAGES = 300;
const JOB = "id status total processed succeeded skipped failed message";

let redis: RedisServer;
let milvus: MilvusServer;
let s3: S3Server;
let api1: ServerProcess;
let api2: ServerProcess;
let workers: ServerProcess[];
const files: Buffer[] = [];

async function graphql(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

async function ingest(url: string, images: Buffer[]) {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: `mutation($files: [Upload!]!) { ingestImages(files: $files) { ${JOB} } }`, variables: { files: images.map(() => null) } }));
  form.append("map", JSON.stringify(Object.fromEntries(images.map((_, i) => [String(i), [`variables.files.${i}`]]))));
  images.forEach((bytes, i) => form.append(String(i), new Blob([new Uint8Array(bytes)]), `p${i}.jpg`));
  const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  const body = (await res.json()) as { data?: any; errors?: any[] };
  expect(body.errors).toBeUndefined();
  return body.data.ingestImages;
}

async function keys(prefix: string): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3_CREDENTIALS });
  const found: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: "mmrag", Prefix: `catalogue/${prefix}`, ContinuationToken: token }));
    found.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  client.destroy();
  return found;
}

beforeAll(async () => {
  [redis, milvus, s3] = await Promise.all([startRedisServer(), startMilvusServer(), startS3Server()]);
  await s3.createBucket("mmrag");
  // makeJpeg's pattern repeats every 256 seeds: a second height keeps all 300 distinct.
  for (let i = 0; i < IMAGES; i++) files.push(await makeJpeg(5000 + i, 64, 48 + Math.floor(i / 200)));
  const shared = {
    ...s3.env,
    IMAGE_STORE: "s3://mmrag/catalogue",
    REDIS_URL: redis.url,
    MILVUS_URI: milvus.uri,
    INGEST_CHUNK_SIZE: "10",
    INGEST_CHUNK_LOCK_MS: "2000",
    INGEST_CONCURRENCY: "8",
    LOG_LEVEL: "info",
  };
  // Each process has its own data folder: nothing is shared through the local disk.
  const envFor = async (role: string) => (await testEnv(await tempDir(), { ...shared, MMRAG_ROLE: role })) as Record<string, string>;
  [api1, api2, ...workers] = await Promise.all([envFor("api"), envFor("api"), envFor("worker"), envFor("worker")].map(async (env) => startServerProcess(await env)));
}, 300_000);

afterAll(async () => {
  for (const p of [api1, api2, ...(workers ?? [])]) await p?.stop();
});

it("ingests 300 images through API 1, followed on API 2, with a worker killed mid-job: each stored exactly once", async () => {
  const job = await ingest(api1.url, files);
  expect(job).toMatchObject({ status: "QUEUED", total: IMAGES });
  const ws = wsClient(api2.url);
  let killedAt: number | undefined;
  const followed = new Promise<any[]>((resolve, reject) => {
    const events: any[] = [];
    ws.subscribe<any>(
      { query: `subscription($id: ID!) { ingestProgress(jobId: $id) { ${JOB} } }`, variables: { id: job.id } },
      {
        next: (value) => {
          const state = value.data!.ingestProgress;
          events.push(state);
          if (killedAt === undefined && state.processed >= 60) {
            killedAt = state.processed;
            void workers[0].kill();
          }
        },
        error: reject,
        complete: () => resolve(events),
      },
    );
  });
  const events = await followed;
  await ws.dispose();
  const last = events.at(-1);
  expect(killedAt, "a worker was killed while the job ran").toBeLessThan(IMAGES);
  expect(last).toMatchObject({ status: "SUCCEEDED", total: IMAGES, processed: IMAGES, failed: 0 });
  expect(last.succeeded + last.skipped).toBe(IMAGES);
  expect(new Set(files.map((bytes) => createHash("sha256").update(bytes).digest("hex"))).size).toBe(IMAGES);
  // The surviving worker saw the dead one's chunk stall and finished it; nothing went wrong on the way.
  expect(workers[1].output()).toMatch(/Ingest chunk stalled/);
  expect(workers[1].output()).not.toMatch(/"level":50/);

  // Milvus: 300 rows, one per content hash, readable through either API.
  const expected = files.map((bytes) => createHash("sha256").update(bytes).digest("hex")).sort();
  for (const api of [api1, api2]) {
    const page = await graphql(api.url, `{ stats { images } images(first: 1000) { totalCount edges { node { id } } } }`);
    expect(page.data!.stats.images).toBe(IMAGES);
    expect(page.data!.images.edges.map((e: any) => e.node.id).sort()).toEqual(expected);
  }
  // S3: one original and one thumbnail per image, and no staged upload left behind.
  const originals = await keys("originals/");
  expect(originals).toHaveLength(IMAGES);
  expect(originals.map((k) => k.split("/").at(-1)!.split(".")[0]).sort()).toEqual(expected);
  expect(await keys("thumbnails/")).toHaveLength(IMAGES);
  expect(await keys("staging/")).toEqual([]);
});

it("searches and serves images through either API", async () => {
  const query = `mutation($image: Upload!) { searchByImage(image: $image, limit: 1) { score image { id url } } }`;
  for (const api of [api1, api2]) {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query, variables: { image: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.image"] }));
    form.append("0", new Blob([new Uint8Array(files[42])]), "q.jpg");
    const res = (await (await fetch(`${api.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form })).json()) as any;
    const hit = res.data.searchByImage[0];
    expect(hit.score).toBeCloseTo(1, 4);
    const bytes = Buffer.from(await (await fetch(hit.image.url)).arrayBuffer());
    expect(bytes.equals(files[42])).toBe(true);
  }
});

it("cancels from API 2 a job started on API 1", async () => {
  const more = await Promise.all(Array.from({ length: 200 }, (_, i) => makeJpeg(9000 + i, 80, 60)));
  const job = await ingest(api1.url, more);
  const res = await graphql(api2.url, `mutation($id: ID!) { cancelIngestJob(id: $id) { ${JOB} } }`, { id: job.id });
  expect(res.errors).toBeUndefined();
  const cancelled = res.data!.cancelIngestJob;
  expect(cancelled.status).toBe("CANCELLED");
  expect(cancelled.processed).toBeLessThan(200);
  const stored = (await graphql(api1.url, `{ stats { images } }`)).data!.stats.images;
  expect(stored).toBe(IMAGES + cancelled.succeeded);
  expect(await keys("staging/")).toEqual([]);
});
