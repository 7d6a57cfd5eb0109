// search(text), searchByImage and similarTo over a real catalogue in Milvus Lite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const HIT = `rank score image { id metadata }`;

let server: TestServer;
const images: Array<{ id: string; bytes: Buffer }> = [];

beforeAll(async () => {
  server = await startTestServer();
  for (let i = 0; i < 8; i++) {
    const bytes = await makeJpeg(200 + i);
    const res = await server.upload(ADD, { metadata: { title: `item ${i}`, colour: i % 2 ? "red" : "blue" } }, { file: { bytes, name: `i${i}.jpg`, type: "image/jpeg" } });
    images.push({ id: res.data!.addImage.image.id, bytes });
  }
}, 120_000);
afterAll(() => server?.close());

describe("queries", () => {
  it("searchByImage finds the same catalogue image first, with a cosine of 1", async () => {
    const res = await server.upload(`mutation ($image: Upload!) { searchByImage(image: $image, limit: 3) { ${HIT} } }`, {}, { image: { bytes: images[3].bytes, name: "q.jpg", type: "image/jpeg" } });
    const hits = res.data!.searchByImage;
    expect(hits).toHaveLength(3);
    expect(hits[0].image.id).toBe(images[3].id);
    expect(hits[0].score).toBeCloseTo(1, 4);
    expect(hits[1].score).toBeLessThan(hits[0].score);
  });

  it("similarTo leaves the image itself out and ranks the rest by score", async () => {
    const res = await server.graphql(`query ($id: ID!) { similarTo(imageId: $id, limit: 7) { ${HIT} } }`, { id: images[2].id });
    const hits = res.data!.similarTo;
    expect(hits).toHaveLength(7);
    expect(hits.map((h: any) => h.image.id)).not.toContain(images[2].id);
    expect(hits.map((h: any) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const scores = hits.map((h: any) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("search(text) returns ranked hits and honours metadata filters and minScore", async () => {
    const all = (await server.graphql(`{ search(text: "a red phone case", limit: 8) { ${HIT} } }`)).data!.search;
    expect(all).toHaveLength(8);

    const red = (await server.graphql(`{ search(text: "a red phone case", limit: 8, filter: { metadata: { colour: "red" } }) { ${HIT} } }`)).data!.search;
    expect(red).toHaveLength(4);
    expect(red.every((h: any) => h.image.metadata.colour === "red")).toBe(true);

    const threshold = all[3].score;
    const above = (await server.graphql(`query ($min: Float) { search(text: "a red phone case", limit: 8, filter: { minScore: $min }) { ${HIT} } }`, { min: threshold })).data!.search;
    expect(above.map((h: any) => h.image.id)).toEqual(all.slice(0, 4).map((h: any) => h.image.id));
  });

  it("searchComposed with no LLM configured gives the vector order, says why, and draws no panorama", async () => {
    const res = await server.upload(
      `mutation ($image: Upload!) { searchComposed(image: $image, instruction: "like this") { reranked rerankError panoramaUrl hits { image { id } } ranking { image { id } } timings { rerankMs } } }`,
      {},
      { image: { bytes: images[1].bytes, name: "q.jpg", type: "image/jpeg" } },
    );
    const r = res.data!.searchComposed;
    expect(r).toMatchObject({ reranked: false, panoramaUrl: null, timings: { rerankMs: 0 } });
    expect(r.rerankError).toMatch(/Rerank is off: set OPENAI_API_KEY/);
    expect(r.hits).toHaveLength(8);
    expect(r.ranking).toEqual(r.hits);
  });

  it("rejects empty text, bad limits, bad minScore and unknown ids with stable codes", async () => {
    const code = async (query: string, variables?: Record<string, unknown>) => (await server.graphql(query, variables)).errors?.[0]?.extensions?.code;
    expect(await code(`{ search(text: "   ") { rank } }`)).toBe("BAD_USER_INPUT");
    expect(await code(`{ search(text: "x", limit: 0) { rank } }`)).toBe("BAD_USER_INPUT");
    expect(await code(`{ search(text: "x", filter: { minScore: 2 }) { rank } }`)).toBe("BAD_USER_INPUT");
    expect(await code(`{ similarTo(imageId: "ffffffffffffffffffffffffffffffff") { rank } }`)).toBe("NOT_FOUND");
  });
});
