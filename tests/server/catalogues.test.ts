// Several catalogues on one server: each its own Milvus collection, sharing the image store; created,
// listed and dropped over the API, and still there after a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createClient } from "../../sdk/src/index.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject, $catalogue: String) {
  addImage(file: $file, metadata: $metadata, catalogue: $catalogue) { created image { id url } }
}`;
const LIST = `query ($catalogue: String) { images(first: 50, catalogue: $catalogue) { totalCount nodes { id metadata } } }`;
const CATALOGUES = `{ catalogues { name collection images } }`;

let server: TestServer;
let dataDir: string;

async function add(seed: number, catalogue?: string, metadata: Record<string, unknown> = {}) {
  const res = await server.upload(ADD, { catalogue, metadata }, { file: { bytes: await makeJpeg(seed), name: `${seed}.jpg`, type: "image/jpeg" } });
  expect(res.errors).toBeUndefined();
  return res.data!.addImage.image as { id: string; url: string };
}
const ids = async (catalogue?: string) => (await server.graphql(LIST, { catalogue })).data!.images.nodes.map((n: any) => n.id).sort();
const codeOf = async (query: string, variables: Record<string, unknown> = {}) => (await server.graphql(query, variables)).errors?.[0]?.extensions?.code;

beforeAll(async () => {
  server = await startTestServer();
  dataDir = server.dataDir;
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe("catalogues", () => {
  it("starts with the default catalogue in the configured collection", async () => {
    const res = await server.graphql(CATALOGUES);
    expect(res.data!.catalogues).toEqual([{ name: "default", collection: server.app.config.milvus.collection, images: 0 }]);
    const more = await server.graphql(`{ catalogues { model keywordSearch } }`);
    expect(more.data!.catalogues).toEqual([{ model: server.app.services.embedder.info.name, keywordSearch: true }]);
  });

  it("keeps each catalogue's images, searches and stats to itself", async () => {
    const created = await server.graphql(`mutation { createCatalogue(name: "shoes") { name collection images } }`);
    expect(created.data!.createCatalogue).toEqual({ name: "shoes", collection: `${server.app.config.milvus.collection}__shoes`, images: 0 });
    const inDefault = await add(1, undefined, { title: "poster" });
    const inShoes = await add(2, "shoes", { title: "red sneaker" });

    expect(await ids()).toEqual([inDefault.id]);
    expect(await ids("shoes")).toEqual([inShoes.id]);
    const search = `query ($catalogue: String) { search(text: "anything", limit: 10, catalogue: $catalogue) { image { id } } }`;
    expect((await server.graphql(search, { catalogue: "shoes" })).data!.search.map((h: any) => h.image.id)).toEqual([inShoes.id]);
    expect((await server.graphql(search, {})).data!.search.map((h: any) => h.image.id)).toEqual([inDefault.id]);
    const stats = await server.graphql(`query ($c: String) { stats(catalogue: $c) { images collection } }`, { c: "shoes" });
    expect(stats.data!.stats).toEqual({ images: 1, collection: `${server.app.config.milvus.collection}__shoes` });
    // The image of another catalogue is not found here.
    expect((await server.graphql(`query ($id: ID!) { image(id: $id) { id } }`, { id: inShoes.id })).data!.image).toBeNull();
    const updated = await server.graphql(`mutation ($id: ID!) { updateImage(id: $id, metadata: { size: 42 }, catalogue: "shoes") { metadata } }`, { id: inShoes.id });
    expect(updated.data!.updateImage.metadata).toEqual({ title: "red sneaker", size: 42 });
    expect((await server.graphql(CATALOGUES)).data!.catalogues.map((c: any) => [c.name, c.images])).toEqual([["default", 1], ["shoes", 1]]);
  });

  it("keeps an image's files while another catalogue still holds the same bytes", async () => {
    await server.graphql(`mutation { createCatalogue(name: "posters") { name } }`);
    const a = await add(10);
    const b = await add(10, "posters");
    expect(b.id).toBe(a.id);
    const del = `mutation ($id: ID!, $c: String) { deleteImage(id: $id, catalogue: $c) }`;
    expect((await server.graphql(del, { id: a.id, c: "posters" })).data!.deleteImage).toBe(true);
    expect((await fetch(a.url)).status).toBe(200);
    expect((await server.graphql(del, { id: a.id })).data!.deleteImage).toBe(true);
    expect((await fetch(a.url)).status).toBe(404);
  });

  it("ingests a batch into a catalogue (SDK ingestAndWait with catalogue), and refuses an unknown one at once", async () => {
    const client = createClient({ url: `${server.url}/graphql`, webSocketImpl: WebSocket });
    try {
      const files = await Promise.all([30, 31].map(async (seed) => new File([new Uint8Array(await makeJpeg(seed))], `${seed}.jpg`, { type: "image/jpeg" })));
      const before = await ids();
      const job = await client.ingestAndWait(files, { catalogue: "posters", metadata: [{ title: "a" }, { title: "b" }] });
      expect(job).toMatchObject({ status: "SUCCEEDED", succeeded: 2, catalogue: "posters" });
      expect((await ids("posters")).length).toBe(2);
      expect(await ids()).toEqual(before);
      const folder = await server.graphql(`mutation { ingestFolder(path: "/nowhere", catalogue: "nothing_here") { id } }`);
      expect(folder.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    } finally {
      await client.close();
    }
  });

  it("refuses bad and taken names, unknown catalogues and dropping the default, with stable codes", async () => {
    expect(await codeOf(`mutation { createCatalogue(name: "Shoes!") { name } }`)).toBe("BAD_USER_INPUT");
    expect(await codeOf(`mutation { createCatalogue(name: "shoes") { name } }`)).toBe("BAD_USER_INPUT");
    expect(await codeOf(`mutation { dropCatalogue(name: "default") }`)).toBe("BAD_USER_INPUT");
    expect(await codeOf(`mutation { dropCatalogue(name: "nothing_here") }`)).toBe("NOT_FOUND");
    expect(await codeOf(LIST, { catalogue: "nothing_here" })).toBe("NOT_FOUND");
    expect(await codeOf(`{ search(text: "x", catalogue: "nothing_here") { rank } }`)).toBe("NOT_FOUND");
    expect(await codeOf(LIST, { catalogue: "../etc" })).toBe("BAD_USER_INPUT");
  });

  it("drops a catalogue, and after a restart keeps the others with their files while sweeping the dropped one's", async () => {
    await server.graphql(`mutation { createCatalogue(name: "temp") { name } }`);
    const doomed = await add(20, "temp");
    const kept = (await server.graphql(LIST, { catalogue: "shoes" })).data!.images.nodes[0].id;
    expect((await server.graphql(`mutation { dropCatalogue(name: "temp") }`)).data!.dropCatalogue).toBe(true);
    expect(await codeOf(LIST, { catalogue: "temp" })).toBe("NOT_FOUND");

    await server.close();
    server = await startTestServer({ dataDir });
    expect((await server.graphql(CATALOGUES)).data!.catalogues.map((c: any) => c.name)).toEqual(["default", "posters", "shoes"]);
    const jobs = await server.graphql(`{ ingestJobs(limit: 1) { catalogue } }`);
    expect(jobs.data!.ingestJobs).toEqual([{ catalogue: "posters" }]);
    expect(await ids("shoes")).toEqual([kept]);
    const keptUrl = `${server.url}/images/${kept}.jpg`;
    expect((await fetch(keptUrl)).status).toBe(200);
    expect((await fetch(`${server.url}/images/${doomed.id}.jpg`)).status).toBe(404);
  });
});
