// Search beyond one query: the query image left out of its own results, excluded terms with their
// documented formula, and many text searches in one request. Real HTTP, Milvus Lite, generated models
// (random weights: these tests check arithmetic and plumbing, never retrieval quality).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const COMPOSED = `mutation ($image: Upload, $imageId: ID, $instruction: String!, $limit: Int, $exclude: [String!], $excludeWeight: Float) {
  searchComposed(image: $image, imageId: $imageId, instruction: $instruction, limit: $limit, rerank: false, exclude: $exclude, excludeWeight: $excludeWeight) {
    hits { rank score image { id } }
  }
}`;
const SEARCH = `query ($text: String!, $limit: Int, $filter: SearchFilter) { search(text: $text, limit: $limit, filter: $filter) { rank score image { id } } }`;
const BATCH = `query ($queries: [SearchInput!]!) { searchBatch(queries: $queries) { hits { rank score image { id } } } }`;
const COUNT = 12;

type Hit = { rank: number; score: number; image: { id: string } };

for (const model of ["vbge-tiny", "clip-tiny"] as const) {
  describe(`with ${model}`, () => {
    let server: TestServer;
    const ids: string[] = [];

    beforeAll(async () => {
      server = await startTestServer({ env: { TEST_MODEL: model } });
      for (let i = 0; i < COUNT; i++) {
        const res = await server.upload(ADD, { metadata: { title: `item ${i}`, kind: i % 2 ? "odd" : "even" } }, { file: { bytes: await makeJpeg(300 + i), name: `${i}.jpg`, type: "image/jpeg" } });
        expect(res.errors).toBeUndefined();
        ids.push(res.data!.addImage.image.id);
      }
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    const composed = async (variables: Record<string, unknown>): Promise<Hit[]> => {
      const res = await server.graphql(COMPOSED, { instruction: "with stripes", limit: COUNT, ...variables });
      expect(res.errors).toBeUndefined();
      return res.data!.searchComposed.hits;
    };
    const search = async (text: string, limit = COUNT, filter?: unknown): Promise<Hit[]> => {
      const res = await server.graphql(SEARCH, { text, limit, filter });
      expect(res.errors).toBeUndefined();
      return res.data!.search;
    };
    const scoreById = (hits: Hit[]) => new Map(hits.map((h) => [h.image.id, h.score]));

    it("leaves the query image out of a composed search by imageId, and still fills the limit", async () => {
      const hits = await composed({ imageId: ids[4], limit: 5 });
      expect(hits).toHaveLength(5);
      expect(hits.map((h) => h.image.id)).not.toContain(ids[4]);
      expect(hits.map((h) => h.rank)).toEqual([1, 2, 3, 4, 5]);
      const all = await composed({ imageId: ids[4] });
      expect(all).toHaveLength(COUNT - 1);
    });

    it("moves the query away from excluded terms: score' = k · (score − λ · mean of the terms' scores)", async () => {
      const cases = [
        { exclude: ["red stripes"], excludeWeight: 1 },
        { exclude: ["red stripes", "a blue mug"], excludeWeight: 0.5 },
        { exclude: ["a blue mug"] }, // default weight 0.5
      ];
      const base = scoreById(await composed({ imageId: ids[0] }));
      for (const c of cases) {
        const weight = c.excludeWeight ?? 0.5;
        const termScores = await Promise.all(c.exclude.map(async (t) => scoreById(await search(t))));
        const expected = new Map([...base].map(([id, s]) => [id, s - (weight * termScores.reduce((sum, m) => sum + m.get(id)!, 0)) / c.exclude.length]));
        const moved = await composed({ imageId: ids[0], ...c });
        expect(moved).toHaveLength(COUNT - 1);
        // One k for all images: the renormalisation divides every score by the same |q − λ·mean t|.
        const [anchorId, anchor] = [...expected].reduce((a, b) => (Math.abs(b[1]) > Math.abs(a[1]) ? b : a));
        const k = moved.find((h) => h.image.id === anchorId)!.score / anchor;
        expect(k).toBeGreaterThan(0);
        for (const h of moved) expect(h.score, JSON.stringify(c)).toBeCloseTo(k * expected.get(h.image.id)!, 4);
        // And the order is that of the moved scores.
        const scores = moved.map((h) => h.score);
        expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      }
    });

    it("answers a batch of text searches as each would be answered alone, from one model run", async () => {
      const queries = [
        { text: "a red phone case" },
        { text: "striped poster", limit: 3, filter: { metadata: { kind: "odd" } } },
        { text: "a red phone case", limit: 2, filter: { minScore: -1 } },
        { text: "green" },
      ];
      const stats = (server.app.services.embedder as any).text.batcher.stats;
      const runsBefore = stats.runs;
      const res = await server.graphql(BATCH, { queries });
      expect(res.errors).toBeUndefined();
      expect(stats.runs - runsBefore).toBe(1);
      const answers: Hit[][] = res.data!.searchBatch.map((r: any) => r.hits);
      expect(answers).toHaveLength(queries.length);
      for (const [i, q] of queries.entries()) {
        const alone = await search(q.text, q.limit ?? 9, q.filter);
        expect(answers[i].map((h) => [h.rank, h.image.id])).toEqual(alone.map((h) => [h.rank, h.image.id]));
        answers[i].forEach((h, j) => expect(h.score).toBeCloseTo(alone[j].score, 5));
      }
    });
  });
}

describe("bad input", () => {
  let server: TestServer;
  let id: string;
  beforeAll(async () => {
    server = await startTestServer();
    id = (await server.upload(ADD, {}, { file: { bytes: await makeJpeg(1), name: "1.jpg", type: "image/jpeg" } })).data!.addImage.image.id;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });
  const codeOf = async (query: string, variables: Record<string, unknown>) => (await server.graphql(query, variables)).errors?.[0].extensions?.code;

  it("refuses out-of-range exclude weights, empty or too many terms, and empty or oversized batches", async () => {
    expect(await codeOf(COMPOSED, { imageId: id, instruction: "x", exclude: ["y"], excludeWeight: 1.5 })).toBe("BAD_USER_INPUT");
    expect(await codeOf(COMPOSED, { imageId: id, instruction: "x", exclude: [" "] })).toBe("BAD_USER_INPUT");
    expect(await codeOf(COMPOSED, { imageId: id, instruction: "x", exclude: Array.from({ length: 11 }, (_, i) => `t${i}`) })).toBe("BAD_USER_INPUT");
    expect(await codeOf(BATCH, { queries: [] })).toBe("BAD_USER_INPUT");
    expect(await codeOf(BATCH, { queries: Array.from({ length: 33 }, () => ({ text: "x" })) })).toBe("BAD_USER_INPUT");
    expect(await codeOf(BATCH, { queries: [{ text: "ok" }, { text: "" }] })).toBe("BAD_USER_INPUT");
    expect(await codeOf(BATCH, { queries: [{ text: "ok", limit: 0 }] })).toBe("BAD_USER_INPUT");
  });
});
