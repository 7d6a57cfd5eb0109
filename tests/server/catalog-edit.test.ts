// Living with a catalogue: edit metadata without re-embedding, list newest first, find by title,
// and folder ingest naming images after their files.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { collect, wsClient } from "../support/ws-client.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";

const ADD = /* GraphQL */ `
  mutation Add($file: Upload!, $metadata: JSONObject) {
    addImage(file: $file, metadata: $metadata) { image { id metadata createdAt } }
  }
`;
const UPDATE = /* GraphQL */ `
  mutation Update($id: ID!, $metadata: JSONObject!, $merge: Boolean) {
    updateImage(id: $id, metadata: $metadata, merge: $merge) { id metadata createdAt width }
  }
`;
const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $filter: ImageFilter, $orderBy: ImageOrder) {
    images(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id metadata createdAt }
    }
  }
`;
const BY_IMAGE = /* GraphQL */ `
  mutation ($image: Upload!) { searchByImage(image: $image, limit: 10) { score image { id } } }
`;

let server: TestServer;
let root: string;
const added: Array<{ id: string; bytes: Buffer; createdAt: string }> = [];
const titles = ["Leopard case", "leopard poster", "50% off_sale", "Zebra mug", "Plain"];

beforeAll(async () => {
  root = await tempDir("mmrag-folder-");
  server = await startTestServer({ env: { INGEST_ROOTS: root } });
  for (const [i, title] of titles.entries()) {
    const bytes = await makeJpeg(500 + i);
    const res = await server.upload(ADD, { metadata: { title, n: i } }, { file: { bytes, name: `${i}.jpg`, type: "image/jpeg" } });
    expect(res.errors).toBeUndefined();
    added.push({ ...res.data!.addImage.image, bytes });
    // Distinct creation times, so the expected order does not rest on the id tie-break alone.
    await new Promise((r) => setTimeout(r, 5));
  }
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function scoresFor(bytes: Buffer): Promise<Array<{ id: string; score: number }>> {
  const res = await server.upload(BY_IMAGE, {}, { image: { bytes, name: "q.jpg", type: "image/jpeg" } });
  expect(res.errors).toBeUndefined();
  return res.data!.searchByImage.map((h: any) => ({ id: h.image.id, score: h.score }));
}

describe("updateImage", () => {
  it("merges metadata by default, removes keys given as null, and keeps the vector and creation time", async () => {
    const target = added[3];
    const before = await scoresFor(target.bytes);
    const res = await server.graphql(UPDATE, { id: target.id, metadata: { title: "Zebra mug, large", n: null, price: 9 } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateImage).toEqual({ id: target.id, metadata: { title: "Zebra mug, large", price: 9 }, createdAt: target.createdAt, width: 320 });
    const stored = await server.graphql(`query($id: ID!) { image(id: $id) { metadata createdAt } }`, { id: target.id });
    expect(stored.data!.image).toEqual({ metadata: { title: "Zebra mug, large", price: 9 }, createdAt: target.createdAt });
    // Same vector: every image scores exactly as before against the same query.
    expect(await scoresFor(target.bytes)).toEqual(before);
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(titles.length);
  });

  it("replaces the metadata whole with merge: false", async () => {
    const target = added[4];
    const res = await server.graphql(UPDATE, { id: target.id, metadata: { title: "Plain", colour: "white" }, merge: false });
    expect(res.data!.updateImage.metadata).toEqual({ title: "Plain", colour: "white" });
  });

  it("answers NOT_FOUND for an unknown id and BAD_USER_INPUT for oversized metadata, changing nothing", async () => {
    const missing = await server.graphql(UPDATE, { id: "0".repeat(64), metadata: { title: "x" } });
    expect(missing.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    const huge = await server.graphql(UPDATE, { id: added[0].id, metadata: { blob: "x".repeat(40_000) } });
    expect(huge.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const stored = await server.graphql(`query($id: ID!) { image(id: $id) { metadata } }`, { id: added[0].id });
    expect(stored.data!.image.metadata).toEqual({ title: "Leopard case", n: 0 });
  });

  it("never brings back an image deleted while it was being updated", async () => {
    const victims = [];
    for (let i = 0; i < 4; i++) {
      const res = await server.upload(ADD, { metadata: { title: `victim ${i}` } }, { file: { bytes: await makeJpeg(900 + i), name: "v.jpg", type: "image/jpeg" } });
      victims.push(res.data!.addImage.image.id as string);
    }
    await Promise.all(
      victims.flatMap((id) => [
        server.graphql(UPDATE, { id, metadata: { edited: true } }),
        server.graphql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id }),
      ]),
    );
    for (const id of victims) {
      expect((await server.graphql(`query($id: ID!) { image(id: $id) { id } }`, { id })).data!.image).toBeNull();
    }
  });
});

describe("images order and title filter", () => {
  it("lists newest first by default, pages on in that order, and lists oldest first on request", async () => {
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const res: any = await server.graphql(LIST, { first: 2, after });
      expect(res.errors).toBeUndefined();
      ids.push(...res.data.images.nodes.map((n: any) => n.id));
      after = res.data.images.pageInfo.hasNextPage ? res.data.images.pageInfo.endCursor : null;
    } while (after);
    expect(ids).toEqual(added.map((a) => a.id).reverse());

    const oldest = await server.graphql(LIST, { first: 3, orderBy: "OLDEST_FIRST" });
    expect(oldest.data!.images.nodes.map((n: any) => n.id)).toEqual(added.slice(0, 3).map((a) => a.id));
    const next = await server.graphql(LIST, { first: 3, orderBy: "OLDEST_FIRST", after: oldest.data!.images.pageInfo.endCursor });
    expect(next.data!.images.nodes.map((n: any) => n.id)).toEqual(added.slice(3).map((a) => a.id));
    expect(next.data!.images.pageInfo.hasNextPage).toBe(false);

    const byId = await server.graphql(LIST, { first: 10, orderBy: "ID" });
    expect(byId.data!.images.nodes.map((n: any) => n.id)).toEqual(added.map((a) => a.id).sort());
  });

  it("refuses a cursor from another order", async () => {
    const byId = await server.graphql(LIST, { first: 1, orderBy: "ID" });
    const res = await server.graphql(LIST, { first: 1, after: byId.data!.images.pageInfo.endCursor });
    expect(res.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("filters by text in the title, as written, with % and _ matching themselves", async () => {
    const titlesFor = async (titleContains: string) => {
      const res = await server.graphql(LIST, { first: 10, filter: { titleContains } });
      expect(res.errors).toBeUndefined();
      return res.data!.images.nodes.map((n: any) => n.metadata.title).sort();
    };
    expect(await titlesFor("eopard")).toEqual(["Leopard case", "leopard poster"]);
    expect(await titlesFor("Leopard")).toEqual(["Leopard case"]);
    expect(await titlesFor("0% off_")).toEqual(["50% off_sale"]);
    expect(await titlesFor("%")).toEqual(["50% off_sale"]);
    expect(await titlesFor("o_f")).toEqual([]);
    const counted = await server.graphql(LIST, { first: 1, filter: { titleContains: "eopard" } });
    expect(counted.data!.images.totalCount).toBe(2);
  });
});

describe("folder ingest", () => {
  it("titles an image without a sidecar after its file name, and keeps a sidecar's metadata as it is", async () => {
    await fs.writeFile(path.join(root, "red-sneaker.jpg"), await makeJpeg(700));
    await fs.writeFile(path.join(root, "blue.jpg"), await makeJpeg(701));
    await fs.writeFile(path.join(root, "blue.json"), JSON.stringify({ sku: "B1" }));
    const started = await server.graphql(`mutation($path: String!) { ingestFolder(path: $path) { id } }`, { path: root });
    expect(started.errors).toBeUndefined();
    const ws = wsClient(server.url);
    const { events } = await collect(ws, `subscription($jobId: ID!) { ingestProgress(jobId: $jobId) { status succeeded } }`, { jobId: started.data!.ingestFolder.id });
    await ws.dispose();
    expect(events.at(-1).ingestProgress).toEqual({ status: "SUCCEEDED", succeeded: 2 });
    const named = await server.graphql(LIST, { first: 10, filter: { titleContains: "red-sneaker" } });
    expect(named.data!.images.nodes.map((n: any) => n.metadata)).toEqual([{ title: "red-sneaker" }]);
    const withSidecar = await server.graphql(LIST, { first: 10, filter: { metadata: { sku: "B1" } } });
    expect(withSidecar.data!.images.nodes.map((n: any) => n.metadata)).toEqual([{ sku: "B1" }]);
  });
});
