// reindex and catalogues with several processes: two API replicas and one worker sharing Redis, a Milvus
// server and one image folder (as on a shared mount). A reindex started on replica A runs on the worker, is
// followed on replica B, and once it has switched both replicas and the worker use the new collection and
// model. Catalogues created or dropped on one replica are seen by the other at once. Two generated models of
// different dimensions (vbge-tiny: 64, clip-tiny: 48) stand in for the demo model and CLIP.
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { ensureGeneratedModel } from "../support/models.js";
import { startServerProcess, type ServerProcess } from "../support/processes.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { tempDir, testEnv } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const STATS = `query ($catalogue: String) { stats(catalogue: $catalogue) { images dimension collection model { name } } }`;
const SEARCH = `query ($text: String!) { search(text: $text, limit: 20) { image { id } } }`;
const REINDEX = `mutation ($model: String!) { reindex(model: $model) { id kind status total } }`;
const PROGRESS = `subscription ($jobId: ID!) { ingestProgress(jobId: $jobId) { status kind total processed succeeded failed message } }`;
const ADD = `mutation ($file: Upload!) { addImage(file: $file) { image { id } } }`;

let redis: RedisServer;
let milvus: MilvusServer;
let apiA: ServerProcess;
let apiB: ServerProcess;
let worker: ServerProcess;
let vbge: string;
let clip: string;

async function graphql(api: ServerProcess, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${api.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

async function add(api: ServerProcess, seed: number): Promise<string> {
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: ADD, variables: { file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([new Uint8Array(await makeJpeg(seed, 64, 48))]), `${seed}.jpg`);
  const res = (await (await fetch(`${api.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form })).json()) as any;
  expect(res.errors).toBeUndefined();
  return res.data.addImage.image.id;
}

const searched = async (api: ServerProcess) => ((await graphql(api, SEARCH, { text: "a picture" })).data!.search as any[]).map((h) => h.image.id).sort();

beforeAll(async () => {
  const models = await Promise.all([ensureGeneratedModel("vbge-tiny"), ensureGeneratedModel("clip-tiny")]);
  [vbge, clip] = models.map((dir) => path.basename(dir));
  [redis, milvus] = await Promise.all([startRedisServer(), startMilvusServer()]);
  // One image folder for all: each process's DATA_DIR/images links to it.
  const images = await tempDir("mmrag-shared-images-");
  const envFor = async (role: string) => {
    const dataDir = await tempDir();
    await fs.symlink(images, path.join(dataDir, "images"));
    return (await testEnv(dataDir, { REDIS_URL: redis.url, MILVUS_URI: milvus.uri, MMRAG_ROLE: role, INGEST_CHUNK_SIZE: "2", LOG_LEVEL: "info" })) as Record<string, string>;
  };
  [apiA, apiB, worker] = await Promise.all([envFor("api"), envFor("api"), envFor("worker")].map(async (env) => startServerProcess(await env)));
}, 300_000);

afterAll(async () => {
  for (const p of [apiA, apiB, worker]) await p?.stop();
});

it("reindexes on the worker: started on replica A, followed on replica B, then both replicas search the new collection with the new model", async () => {
  const ids = [await add(apiA, 1), await add(apiA, 2), await add(apiB, 3)];
  const before = (await graphql(apiB, STATS)).data!.stats;
  expect(before).toMatchObject({ images: 3, dimension: 64, model: { name: vbge } });
  expect((await graphql(apiA, STATS)).data!.stats).toEqual(before);

  const started = await graphql(apiA, REINDEX, { model: clip });
  expect(started.errors).toBeUndefined();
  expect(started.data!.reindex).toMatchObject({ kind: "reindex", total: 3 });
  const ws = wsClient(apiB.url);
  const progress = collect(ws, PROGRESS, { jobId: started.data!.reindex.id });
  // Written on B while the job runs: whether before the worker's catch-up or after the switch, it must reach the new collection.
  ids.push(await add(apiB, 4));
  const { events, errors } = await progress;
  await ws.dispose();
  expect(errors).toEqual([]);
  expect(events.at(-1)!.ingestProgress).toMatchObject({ status: "SUCCEEDED", kind: "reindex", total: 3, processed: 3, failed: 0 });

  // Both replicas switched as soon as the job said SUCCEEDED: same new collection, new model, every image.
  const after = (await graphql(apiA, STATS)).data!.stats;
  expect(after).toMatchObject({ images: 4, dimension: 48, model: { name: clip } });
  expect(after.collection).not.toBe(before.collection);
  expect((await graphql(apiB, STATS)).data!.stats).toEqual(after);
  for (const api of [apiA, apiB]) expect(await searched(api)).toEqual([...ids].sort());
  expect(worker.output()).toMatch(/Catalogue switched to its reindexed collection/);

  // The worker embeds new ingest jobs with the new model into the new collection.
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: `mutation($files: [Upload!]!) { ingestImages(files: $files) { id } }`, variables: { files: [null] } }));
  form.append("map", JSON.stringify({ 0: ["variables.files.0"] }));
  form.append("0", new Blob([new Uint8Array(await makeJpeg(5, 64, 48))]), "5.jpg");
  const job = ((await (await fetch(`${apiB.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form })).json()) as any).data.ingestImages;
  const ingestWs = wsClient(apiA.url);
  const ingested = await collect(ingestWs, PROGRESS, { jobId: job.id });
  await ingestWs.dispose();
  expect(ingested.events.at(-1)!.ingestProgress).toMatchObject({ status: "SUCCEEDED", succeeded: 1 });
  for (const api of [apiA, apiB]) expect((await graphql(api, STATS)).data!.stats).toMatchObject({ images: 5, collection: after.collection, model: { name: clip } });
}, 240_000);

it("cancels on replica B a reindex started on replica A: the catalogue keeps its collection on both, the new one is dropped", async () => {
  const catalogues = `{ catalogues { name collection inactiveCollections model } }`;
  const before = (await graphql(apiA, catalogues)).data!.catalogues;
  // The worker is paused, so the cancel is sure to come before any image is re-embedded.
  worker.child.kill("SIGSTOP");
  let resumed = false;
  try {
    const started = await graphql(apiA, REINDEX, { model: vbge });
    expect(started.errors).toBeUndefined();
    const jobId = started.data!.reindex.id;
    const cancelled = graphql(apiB, `mutation ($id: ID!) { cancelIngestJob(id: $id) { status message } }`, { id: jobId });
    const redisClient = new Redis(redis.url);
    while ((await redisClient.hget(`mmrag:job:${jobId}`, "cancel")) !== "1") await sleep(20);
    redisClient.disconnect();
    worker.child.kill("SIGCONT");
    resumed = true;
    const res = await cancelled;
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelIngestJob.status).toBe("CANCELLED");
    expect(res.data!.cancelIngestJob.message).toContain("keeps its previous collection");
  } finally {
    if (!resumed) worker.child.kill("SIGCONT");
  }
  for (const api of [apiA, apiB]) expect((await graphql(api, catalogues)).data!.catalogues).toEqual(before);
  expect((await graphql(apiB, STATS)).data!.stats).toMatchObject({ images: 5, model: { name: clip } });
}, 120_000);

it("a catalogue created on one replica is used on the other; dropped there, it is gone on the first at once", async () => {
  expect((await graphql(apiA, `mutation { createCatalogue(name: "shoes") { name } }`)).errors).toBeUndefined();
  expect((await graphql(apiA, STATS, { catalogue: "shoes" })).data!.stats).toMatchObject({ images: 0 });
  expect((await graphql(apiB, STATS, { catalogue: "shoes" })).data!.stats).toMatchObject({ images: 0, model: { name: vbge } });
  expect((await graphql(apiB, `mutation { dropCatalogue(name: "shoes") }`)).errors).toBeUndefined();
  // A had the catalogue open: it hears of the drop instead of answering from a collection that is gone.
  expect((await graphql(apiA, STATS, { catalogue: "shoes" })).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  expect((await graphql(apiA, `{ catalogues { name } }`)).data!.catalogues.map((c: any) => c.name)).toEqual(["default"]);
}, 60_000);
