// MILVUS_URI=http://host:port: mmrag talks to a Milvus it did not start (here the Milvus Lite binary
// run on its own port, the same gRPC API as a Milvus server) and keeps no Milvus process of its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startMilvusServer, type MilvusServer } from "../support/milvus-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { created image { id url } } }`;
const LIST = `query ($filter: ImageFilter) { images(first: 50, filter: $filter) { totalCount edges { node { id metadata } } } }`;

let milvus: MilvusServer;
let server: TestServer;
const added: Array<{ id: string; bytes: Buffer }> = [];

beforeAll(async () => {
  milvus = await startMilvusServer();
  server = await startTestServer({ env: { MILVUS_URI: milvus.uri, MILVUS_COLLECTION: "remote_images" } });
  for (let i = 0; i < 6; i++) {
    const bytes = await makeJpeg(500 + i);
    const res = await server.upload(ADD, { metadata: { n: i, colour: i % 2 ? "red" : "blue" } }, { file: { bytes, name: `r${i}.jpg`, type: "image/jpeg" } });
    expect(res.errors).toBeUndefined();
    added.push({ id: res.data!.addImage.image.id, bytes });
  }
}, 180_000);
afterAll(async () => {
  await server?.close();
  await milvus?.stop();
});

describe("a Milvus server given by MILVUS_URI", () => {
  it("is used as it is: no Milvus child of mmrag's own, and stats name the server backend", async () => {
    expect(server.app.services.vectors.liteProcess).toBeUndefined();
    const stats = (await server.graphql(`{ stats { images backend collection index } }`)).data!.stats;
    expect(stats).toEqual({ images: 6, backend: "milvus", collection: "remote_images", index: "AUTOINDEX" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it("lists and filters what was added", async () => {
    const all = (await server.graphql(LIST)).data!.images;
    expect(all.totalCount).toBe(6);
    expect(all.edges.map((e: any) => e.node.id).sort()).toEqual(added.map((a) => a.id).sort());
    const red = (await server.graphql(LIST, { filter: { metadata: { colour: "red" } } })).data!.images;
    expect(red.edges.map((e: any) => e.node.metadata.n).sort()).toEqual([1, 3, 5]);
  });

  it("searches by image and by text, and finds similar images", async () => {
    const byImage = await server.upload(`mutation ($image: Upload!) { searchByImage(image: $image, limit: 3) { score image { id } } }`, {}, { image: { bytes: added[4].bytes, name: "q.jpg", type: "image/jpeg" } });
    expect(byImage.errors).toBeUndefined();
    expect(byImage.data!.searchByImage[0].image.id).toBe(added[4].id);
    expect(byImage.data!.searchByImage[0].score).toBeCloseTo(1, 4);
    const text = (await server.graphql(`{ search(text: "a blue poster", limit: 6, filter: { metadata: { colour: "blue" } }) { image { metadata } } }`)).data!.search;
    expect(text).toHaveLength(3);
    expect(text.every((h: any) => h.image.metadata.colour === "blue")).toBe(true);
    const similar = (await server.graphql(`query ($id: ID!) { similarTo(imageId: $id, limit: 10) { image { id } } }`, { id: added[0].id })).data!.similarTo;
    expect(similar.map((h: any) => h.image.id).sort()).toEqual(added.slice(1).map((a) => a.id).sort());
  });

  it("deletes, and a second mmrag on the same server sees the same catalogue", async () => {
    const res = await server.graphql(`mutation ($id: ID!) { deleteImage(id: $id) }`, { id: added[5].id });
    expect(res.errors).toBeUndefined();
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(5);
    const second = await startTestServer({ dataDir: await tempDir(), env: { MILVUS_URI: milvus.uri, MILVUS_COLLECTION: "remote_images" } });
    const page = (await second.graphql(LIST)).data!.images;
    expect(page.edges.map((e: any) => e.node.id).sort()).toEqual(added.slice(0, 5).map((a) => a.id).sort());
    await second.close();
  });

  it("answers UPSTREAM_UNAVAILABLE while the server is down, and /readyz says so", async () => {
    await milvus.stop();
    const res = await server.graphql(`{ search(text: "anything", limit: 3) { score } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", service: "milvus" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
  });
});
