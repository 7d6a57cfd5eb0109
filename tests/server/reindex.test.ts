// Switching a catalogue to another embedding model without the source files: reindex re-embeds the stored
// originals into a new collection while searches keep working, switches at once, keeps the old collection
// until it is dropped, and a restart serves the new model. Two generated models of different dimensions
// (vbge-tiny: 64, clip-tiny: 48) stand in for the demo model and CLIP.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createClient, SdkError } from "../../sdk/src/index.js";
import { makeJpeg } from "../support/images.js";
import { ensureGeneratedModel } from "../support/models.js";
import { startRedisServer } from "../support/redis-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const LIST = `{ images(first: 50) { nodes { id metadata createdAt } } }`;
const SEARCH = `query ($text: String!) { search(text: $text, limit: 20) { image { id } } }`;
const CATALOGUES = `{ catalogues { name collection inactiveCollections dimension model warning images } }`;
const STATS = `{ stats { images dimension collection model { name dimension } warning } }`;
const REINDEX = `mutation ($model: String!, $catalogue: String) { reindex(model: $model, catalogue: $catalogue) { id kind catalogue status total } }`;
const PROGRESS = `subscription ($jobId: ID!) { ingestProgress(jobId: $jobId) { status kind total processed succeeded failed message } }`;
const DROP_INACTIVE = `mutation ($collection: String!) { dropInactiveCollection(collection: $collection) }`;

async function add(server: TestServer, seed: number) {
  const res = await server.upload(ADD, { metadata: { title: `picture ${seed}` } }, { file: { bytes: await makeJpeg(seed), name: `${seed}.jpg`, type: "image/jpeg" } });
  expect(res.errors).toBeUndefined();
  return res.data!.addImage.image.id as string;
}
const listed = async (server: TestServer) => ((await server.graphql(LIST)).data!.images.nodes as Array<{ id: string }>).sort((a, b) => a.id.localeCompare(b.id));
const modelName = async (kind: "vbge-tiny" | "clip-tiny") => path.basename(await ensureGeneratedModel(kind));

/**
 * Runs the reindex and waits on its ingestProgress stream, searching all the while; `meanwhile` runs once the
 * job has started (after it listed the images to re-embed). Returns the events and every search answer.
 */
async function reindexWhileSearching(server: TestServer, model: string, meanwhile?: () => Promise<void>) {
  const started = await server.graphql(REINDEX, { model });
  expect(started.errors).toBeUndefined();
  const job = started.data!.reindex;
  const ws = wsClient(server.url);
  let done = false;
  const progress = collect(ws, PROGRESS, { jobId: job.id }).finally(() => (done = true));
  await meanwhile?.();
  const searches: Array<{ errors?: unknown; ids: string[] }> = [];
  do {
    const res = await server.graphql(SEARCH, { text: "a picture" });
    searches.push({ errors: res.errors, ids: (res.data?.search ?? []).map((h: any) => h.image.id).sort() });
  } while (!done);
  const { events, errors } = await progress;
  await ws.dispose();
  expect(errors).toEqual([]);
  return { job, events, searches };
}

describe("reindex", () => {
  it("moves a catalogue to a model of another dimension from the stored originals; searches work throughout; a restart keeps the new model", async () => {
    const [vbge, clip] = await Promise.all([modelName("vbge-tiny"), modelName("clip-tiny")]);
    const server = await startTestServer();
    const ids = [await add(server, 1), await add(server, 2), await add(server, 3)];
    const before = await listed(server);
    const [{ collection: oldCollection }] = (await server.graphql(CATALOGUES)).data!.catalogues;

    // Changes made while the job runs (it has listed its three images already) reach the new collection too.
    let added = "";
    const { job, events, searches } = await reindexWhileSearching(server, clip, async () => {
      added = await add(server, 5);
      expect((await server.graphql(`mutation ($id: ID!) { updateImage(id: $id, metadata: { title: "renamed" }) { id } }`, { id: ids[0] })).errors).toBeUndefined();
      expect((await server.graphql(`mutation ($id: ID!) { deleteImage(id: $id) }`, { id: ids[1] })).errors).toBeUndefined();
    });
    expect(job).toMatchObject({ kind: "reindex", catalogue: "default", total: 3 });
    expect(events.at(-1)!.ingestProgress).toMatchObject({ status: "SUCCEEDED", kind: "reindex", total: 3, processed: 3, failed: 0 });
    const expected = [ids[0], ids[2], added].sort();
    // Every search during and after the job answered, with the catalogue as it was then.
    for (const search of searches) expect(search).toEqual({ errors: undefined, ids: expected });

    const [catalogue] = (await server.graphql(CATALOGUES)).data!.catalogues;
    expect(catalogue).toMatchObject({ name: "default", model: clip, dimension: 48, warning: null, images: 3, inactiveCollections: [oldCollection] });
    expect(catalogue.collection).not.toBe(oldCollection);
    expect((await server.graphql(STATS)).data!.stats).toEqual({ images: 3, dimension: 48, collection: catalogue.collection, model: { name: clip, dimension: 48 }, warning: null });
    // Metadata and dates came along, with the changes made meanwhile.
    const after = await listed(server);
    expect(after.map((r) => r.id)).toEqual(expected);
    expect(after.find((r) => r.id === ids[0])).toEqual({ ...before.find((r) => r.id === ids[0]), metadata: { title: "renamed" } });
    expect(after.find((r) => r.id === ids[2])).toEqual(before.find((r) => r.id === ids[2]));
    // New images are embedded by the new model.
    const fourth = await add(server, 4);
    expect((await server.graphql(SEARCH, { text: "a picture" })).data!.search.map((h: any) => h.image.id)).toContain(fourth);
    await server.close();

    // Restarted with the same settings (MODEL is still the first model): the catalogue keeps the model of its collection.
    const again = await startTestServer({ dataDir: server.dataDir });
    expect(again.app.services.embedder.info.name).toBe(vbge);
    expect((await again.graphql(STATS)).data!.stats).toMatchObject({ images: 4, dimension: 48, collection: catalogue.collection, model: { name: clip } });
    expect((await again.graphql(SEARCH, { text: "a picture" })).data!.search).toHaveLength(4);

    // The old collection stays until dropped; the active one cannot be.
    expect((await again.graphql(DROP_INACTIVE, { collection: catalogue.collection })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await again.graphql(DROP_INACTIVE, { collection: oldCollection })).data).toEqual({ dropInactiveCollection: true });
    expect((await again.graphql(CATALOGUES)).data!.catalogues[0]).toMatchObject({ collection: catalogue.collection, inactiveCollections: [], images: 4 });
    expect((await again.graphql(DROP_INACTIVE, { collection: oldCollection })).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await again.close();
  }, 240_000);

  it("refuses a model that is not there, the model in use, and a catalogue that is not there, changing nothing", async () => {
    const server = await startTestServer();
    const current = server.app.services.embedder.info.name;
    const client = createClient({ url: `${server.url}/graphql`, webSocketImpl: WebSocket });
    const refused = await client.reindex({ model: "no-such-model" }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SdkError);
    expect(refused).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "model" } });
    const missing = await server.graphql(REINDEX, { model: "no-such-model" });
    expect(missing.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(missing.errors![0].message).toContain("no-such-model");
    expect((await server.graphql(REINDEX, { model: "../outside" })).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const same = await server.graphql(REINDEX, { model: current });
    expect(same.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(same.errors![0].message).toContain("already uses");
    expect((await server.graphql(REINDEX, { model: current, catalogue: "nope" })).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await client.catalogues()).toEqual([
      { name: "default", collection: server.app.config.milvus.collection, images: 0, model: current, keywordSearch: true, dimension: 64, inactiveCollections: [], warning: null },
    ]);
    await server.close();
  }, 120_000);

  it("keeps searching the old collection until an ingest job into the catalogue has finished, then switches with its images", async () => {
    const [vbge, clip] = await Promise.all([modelName("vbge-tiny"), modelName("clip-tiny")]);
    // An image host that answers only when the test says so: the ingest job stays in flight meanwhile.
    const bytes = await makeJpeg(21);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const host = http.createServer((_req, res) => void released.then(() => res.writeHead(200, { "content-type": "image/jpeg" }).end(bytes)));
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    const server = await startTestServer({ env: { INGEST_URL_ALLOWLIST: "127.0.0.1" } });
    try {
      await add(server, 20);
      const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/held.jpg`;
      const ingest = await server.graphql(`mutation ($urls: [String!]!) { ingestUrls(urls: $urls) { id } }`, { urls: [url] });
      expect(ingest.errors).toBeUndefined();
      const started = await server.graphql(REINDEX, { model: clip });
      const jobId = started.data!.reindex.id;

      // The reindex has re-embedded its one image and now waits for the ingest job: nothing has switched.
      let state: any;
      for (let i = 0; i < 400; i++) {
        state = (await server.graphql(`query ($id: ID!) { ingestJob(id: $id) { status processed message } }`, { id: jobId })).data!.ingestJob;
        if (state.processed === 1 && state.message?.includes("Waiting")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(state).toMatchObject({ status: "RUNNING", processed: 1 });
      expect((await server.graphql(STATS)).data!.stats).toMatchObject({ images: 1, model: { name: vbge } });
      expect((await server.graphql(SEARCH, { text: "a picture" })).data!.search).toHaveLength(1);

      release();
      const ws = wsClient(server.url);
      const { events } = await collect(ws, PROGRESS, { jobId });
      await ws.dispose();
      expect(events.at(-1)!.ingestProgress.status).toBe("SUCCEEDED");
      expect((await server.graphql(`query ($id: ID!) { ingestJob(id: $id) { status succeeded } }`, { id: ingest.data!.ingestUrls.id })).data!.ingestJob).toEqual({
        status: "SUCCEEDED",
        succeeded: 1,
      });
      expect((await server.graphql(STATS)).data!.stats).toMatchObject({ images: 2, model: { name: clip } });
      expect((await server.graphql(SEARCH, { text: "a picture" })).data!.search).toHaveLength(2);
    } finally {
      release();
      await server.close();
      await new Promise((resolve) => host.close(resolve));
    }
  }, 240_000);

  it("with REDIS_URL: keeps the switches of the pointer file (copied into Redis once) and reindexes through the Redis queue", async () => {
    const [vbge, clip] = await Promise.all([modelName("vbge-tiny"), modelName("clip-tiny")]);
    const alone = await startTestServer();
    const ids = [await add(alone, 1), await add(alone, 2)];
    await reindexWhileSearching(alone, clip);
    const switched = (await alone.graphql(STATS)).data!.stats;
    expect(switched).toMatchObject({ images: 2, model: { name: clip } });
    await alone.close();

    // The same data with REDIS_URL: Redis has no pointers yet, so the file's are copied, not lost.
    const redis = await startRedisServer();
    const server = await startTestServer({ dataDir: alone.dataDir, env: { REDIS_URL: redis.url } });
    try {
      expect((await server.graphql(STATS)).data!.stats).toEqual(switched);
      const { job, events } = await reindexWhileSearching(server, vbge);
      expect(job).toMatchObject({ kind: "reindex", total: 2 });
      expect(events.at(-1)!.ingestProgress).toMatchObject({ status: "SUCCEEDED", kind: "reindex", processed: 2, failed: 0 });
      const back = (await server.graphql(STATS)).data!.stats;
      expect(back).toMatchObject({ images: 2, dimension: 64, model: { name: vbge } });
      expect([switched.collection, server.app.config.milvus.collection]).not.toContain(back.collection);
      expect((await listed(server)).map((r) => r.id)).toEqual([...ids].sort());
      // The pointer now lives in Redis, not in the file.
      const file = JSON.parse(await fs.readFile(path.join(server.dataDir, "active-collections.json"), "utf8"));
      expect(file.default.collection).toBe(switched.collection);
    } finally {
      await server.close();
    }
    const restarted = await startTestServer({ dataDir: alone.dataDir, env: { REDIS_URL: redis.url } });
    expect((await restarted.graphql(STATS)).data!.stats).toMatchObject({ model: { name: vbge }, dimension: 64 });
    await restarted.close();
  }, 240_000);

  it("a write that opened the old collection before the switch and ends after it still reaches the new collection", async () => {
    const clip = await modelName("clip-tiny");
    const server = await startTestServer();
    const kept = await add(server, 30);
    const gone = await add(server, 31);
    // What an addImage, updateImage or deleteImage in flight holds: the catalogue as it was served before the switch.
    const before = await server.app.services.catalogues.get("default");
    const { events } = await reindexWhileSearching(server, clip);
    expect(events.at(-1)!.ingestProgress.status).toBe("SUCCEEDED");
    expect((await server.app.services.catalogues.get("default")).collection.name).not.toBe(before.collection.name);

    const late = (await before.catalog.add(await makeJpeg(32), { title: "late" })).image.id;
    await before.catalog.update(kept, { title: "renamed late" });
    await before.catalog.delete(gone);
    expect((await server.graphql(STATS)).data!.stats).toMatchObject({ images: 2, model: { name: clip } });
    const after = await listed(server);
    expect(after.map((r) => r.id)).toEqual([kept, late].sort());
    expect(after.find((r) => r.id === kept)).toMatchObject({ metadata: { title: "renamed late" } });
    expect((await server.graphql(SEARCH, { text: "a picture" })).data!.search.map((h: any) => h.image.id).sort()).toEqual([kept, late].sort());
    await server.close();
  }, 240_000);

  it("starts when MODEL has another dimension and the old model is gone, says to reindex, and reindex fixes it", async () => {
    const clip = await modelName("clip-tiny");
    const server = await startTestServer();
    const id = await add(server, 7);
    await server.close();

    // The user pulled CLIP into a models folder without the model the catalogue was built with.
    const modelsDir = await tempDir("mmrag-models-");
    await fs.symlink(await ensureGeneratedModel("clip-tiny"), path.join(modelsDir, clip));
    const after = await startTestServer({ dataDir: server.dataDir, env: { TEST_MODEL: "clip-tiny", MODELS_DIR: modelsDir, MODEL: clip } });
    const fix = `reindex(catalogue: "default", model: "${clip}")`;
    const [catalogue] = (await after.graphql(CATALOGUES)).data!.catalogues;
    expect(catalogue).toMatchObject({ name: "default", dimension: 64, images: 1 });
    expect(catalogue.warning).toContain("64-dimensional");
    expect(catalogue.warning).toContain(fix);
    expect((await after.graphql(STATS)).data!.stats.warning).toBe(catalogue.warning);
    const refused = await after.graphql(SEARCH, { text: "a picture" });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: "NOT_SUPPORTED" } });
    expect(refused.errors![0].message).toContain(fix);
    // Browsing still works.
    expect((await listed(after)).map((r) => r.id)).toEqual([id]);

    const { events } = await reindexWhileSearching(after, clip);
    expect(events.at(-1)!.ingestProgress).toMatchObject({ status: "SUCCEEDED", succeeded: 1 });
    expect((await after.graphql(CATALOGUES)).data!.catalogues[0]).toMatchObject({ model: clip, dimension: 48, warning: null });
    expect((await after.graphql(SEARCH, { text: "a picture" })).data!.search.map((h: any) => h.image.id)).toEqual([id]);
    await after.close();
  }, 240_000);
});
