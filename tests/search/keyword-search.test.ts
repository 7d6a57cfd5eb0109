// Keyword (BM25) and hybrid search on Milvus Lite: words in the metadata found by Milvus's own BM25
// function, fused with the vector results by reciprocal rank fusion; NOT_SUPPORTED where the collection
// has no keyword index.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { dataDirWithOldCollection } from "../support/old-collection.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const SEARCH = `query ($text: String!, $mode: SearchMode, $limit: Int, $filter: SearchFilter) {
  search(text: $text, mode: $mode, limit: $limit, filter: $filter) { rank score image { id metadata } }
}`;
const PRODUCTS = [
  { title: "Leopard phone case", kind: "case" },
  { title: "Red poster", description: "a leopard in the grass", kind: "poster" },
  { title: "Blue mug", tags: ["kitchen", "leopard"], kind: "mug" },
  { title: "Plain case", kind: "case", note: "leopard" }, // "note" is not a keyword field
  { title: "Green poster", kind: "poster" },
];

let server: TestServer;
const ids: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  for (const [i, metadata] of PRODUCTS.entries()) {
    const res = await server.upload(ADD, { metadata }, { file: { bytes: await makeJpeg(800 + i), name: `${i}.jpg`, type: "image/jpeg" } });
    expect(res.errors).toBeUndefined();
    ids.push(res.data!.addImage.image.id);
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
});

async function search(variables: Record<string, unknown>) {
  const res = await server.graphql(SEARCH, { limit: 20, ...variables });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.search as Array<{ rank: number; score: number; image: { id: string; metadata: any } }>;
}

describe("search(mode: KEYWORD)", () => {
  it("finds the images whose title, description or tags hold the word, best BM25 score first", async () => {
    const hits = await search({ text: "leopard", mode: "KEYWORD" });
    expect(hits.map((h) => h.image.id).sort()).toEqual([ids[0], ids[1], ids[2]].sort());
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
  });

  it("applies filters, and follows metadata edits", async () => {
    const cases = await search({ text: "leopard", mode: "KEYWORD", filter: { metadata: { kind: "case" } } });
    expect(cases.map((h) => h.image.id)).toEqual([ids[0]]);
    await server.graphql(`mutation ($id: ID!) { updateImage(id: $id, metadata: { title: "Zebra phone case" }) { id } }`, { id: ids[0] });
    expect((await search({ text: "zebra", mode: "KEYWORD" })).map((h) => h.image.id)).toEqual([ids[0]]);
    expect((await search({ text: "leopard", mode: "KEYWORD" })).map((h) => h.image.id)).not.toContain(ids[0]);
    await server.graphql(`mutation ($id: ID!) { updateImage(id: $id, metadata: { title: "Leopard phone case" }) { id } }`, { id: ids[0] });
  });

  it("refuses minScore, which is a cosine similarity", async () => {
    const res = await server.graphql(SEARCH, { text: "leopard", mode: "KEYWORD", filter: { minScore: 0.5 } });
    expect(res.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("search(mode: HYBRID) and searchComposed(keywords)", () => {
  it("fuses the vector and keyword rankings by RRF: score = Σ 1 / (60 + rank in each list)", async () => {
    const vector = await search({ text: "leopard", mode: "VECTOR" });
    const keyword = await search({ text: "leopard", mode: "KEYWORD" });
    const hybrid = await search({ text: "leopard", mode: "HYBRID" });
    const rankIn = (list: typeof vector, id: string) => list.find((h) => h.image.id === id)?.rank;
    expect(hybrid.map((h) => h.image.id).sort()).toEqual([...ids].sort());
    for (const h of hybrid) {
      const expected = [rankIn(vector, h.image.id), rankIn(keyword, h.image.id)].reduce((sum: number, r) => sum + (r ? 1 / (60 + r) : 0), 0);
      expect(h.score).toBeCloseTo(expected, 5);
    }
  });

  it("takes keywords on searchComposed the same way", async () => {
    const composed = `mutation ($imageId: ID!, $keywords: String) {
      searchComposed(imageId: $imageId, instruction: "same theme", keywords: $keywords, limit: 10, rerank: false) { hits { score image { id } } }
    }`;
    const res = await server.graphql(composed, { imageId: ids[4], keywords: "leopard" });
    expect(res.errors).toBeUndefined();
    const hits = res.data!.searchComposed.hits;
    expect(hits.map((h: any) => h.image.id)).not.toContain(ids[4]);
    // Every keyword match is in; each score is an RRF score (at most two lists, rank ≥ 1).
    for (const id of [ids[0], ids[1], ids[2]]) expect(hits.map((h: any) => h.image.id)).toContain(id);
    for (const h of hits) expect(h.score).toBeLessThanOrEqual(2 / 61 + 1e-6);
  });
});

describe("a collection without a keyword index", () => {
  it("answers keyword and hybrid searches with NOT_SUPPORTED, and vector search as before", async () => {
    // The collection as releases before keyword search made it.
    const dataDir = await dataDirWithOldCollection({ contentHash: false });
    const old = await startTestServer({ dataDir });
    try {
      await old.upload(ADD, { metadata: { title: "Leopard case" } }, { file: { bytes: await makeJpeg(1), name: "1.jpg", type: "image/jpeg" } });
      for (const mode of ["KEYWORD", "HYBRID"]) {
        const res = await old.graphql(SEARCH, { text: "leopard", mode });
        expect(res.errors?.[0].extensions?.code, mode).toBe("NOT_SUPPORTED");
        expect(res.errors?.[0].message).toMatch(/no keyword index/);
      }
      const vector = await old.graphql(SEARCH, { text: "leopard" });
      expect(vector.data!.search).toHaveLength(1);
    } finally {
      await old.close();
    }
  });
});
