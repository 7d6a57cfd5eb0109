// searchComposed end to end: a real multipart upload, real Milvus Lite, a generated model, and the LLM
// rerank against a loopback OpenAI-compatible server.
import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeJpeg, makePng } from "../support/images.js";
import { panoramaOf, promptOf, startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const COMPOSED = `mutation ($image: Upload, $imageId: ID, $instruction: String!, $limit: Int! = 9, $rerank: Boolean! = true, $filter: SearchFilter, $imageWeight: Float) {
  searchComposed(image: $image, imageId: $imageId, instruction: $instruction, limit: $limit, rerank: $rerank, filter: $filter, imageWeight: $imageWeight) {
    instruction instructionTruncated reranked rerankError model explanation panoramaUrl
    hits { rank score image { id url thumbnailUrl width height metadata } }
    ranking { rank score image { id } }
    best { rank score image { id metadata } }
    timings { embedMs searchMs rerankMs totalMs }
  }
}`;

let server: TestServer;
let stub: OpenAIStub;
const ids: string[] = [];

beforeAll(async () => {
  stub = await startOpenAIStub();
  server = await startTestServer({ env: { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_RESPONSE_FORMAT: "text", RERANK_MAX_RETRIES: "0", RERANK_TIMEOUT_MS: "2000" } });
  for (let i = 0; i < 12; i++) {
    const res = await server.upload(ADD, { metadata: { title: `product ${i}`, category: i % 3 === 0 ? "phone case" : "poster" } }, { file: { bytes: await makeJpeg(100 + i, 400, 300), name: `p${i}.jpg`, type: "image/jpeg" } });
    expect(res.errors).toBeUndefined();
    ids.push(res.data!.addImage.image.id);
  }
}, 120_000);
afterAll(async () => {
  await server?.close();
  await stub?.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

async function composed(variables: Record<string, unknown>, image?: Buffer) {
  return image
    ? server.upload(COMPOSED, variables, { image: { bytes: image, name: "query.jpg", type: "image/jpeg" } })
    : server.graphql(COMPOSED, variables);
}

describe("searchComposed", () => {
  it("returns the LLM's order, its best pick and reasons, beside the vector order", async () => {
    stub.script({ content: "Ranked list: [5, 1, 9]\nReasons: Candidate 5 carries the leopard pattern onto a phone case." });
    const res = await composed({ instruction: "phone case with this image theme" }, await makeJpeg(7, 640, 480));
    expect(res.errors).toBeUndefined();
    const r = res.data!.searchComposed;

    expect(r.hits).toHaveLength(9);
    expect(r.hits.map((h: any) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const scores = r.hits.map((h: any) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(new Set(r.hits.map((h: any) => h.image.id)).size).toBe(9);
    expect(r.hits[0].image).toMatchObject({ width: 400, height: 300 });
    expect(r.hits[0].image.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/images\//);

    // LLM order first, then the candidates it left out, in vector order.
    const vector = r.hits.map((h: any) => h.image.id);
    const expected = [4, 0, 8, 1, 2, 3, 5, 6, 7].map((i) => vector[i]);
    expect(r.ranking.map((h: any) => h.image.id)).toEqual(expected);
    expect(r.ranking.map((h: any) => h.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.best.image.id).toBe(vector[4]);
    expect(r.best.score).toBe(r.hits[4].score);
    expect(r).toMatchObject({ reranked: true, rerankError: null, model: "gpt-4o", instruction: "phone case with this image theme", instructionTruncated: false });
    // The LLM speaks of the panorama's numbers, which are the grid's: #5 is the fifth hit.
    expect(r.explanation).toBe("Candidate 5 carries the leopard pattern onto a phone case.");
    for (const t of ["embedMs", "searchMs", "rerankMs", "totalMs"]) expect(r.timings[t]).toBeGreaterThan(0);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.embedMs + r.timings.searchMs + r.timings.rerankMs - 1);

    // What the LLM got: the instruction, the metadata, and a 3 × 3 panorama it can decode.
    expect(stub.requests).toHaveLength(1);
    expect(promptOf(stub.requests[0])).toContain("User instruction: phone case with this image theme");
    expect(promptOf(stub.requests[0])).toContain(`5. title: ${r.hits[4].image.metadata.title}; category: ${r.hits[4].image.metadata.category}`);
    expect(await panoramaOf(stub.requests[0])).toMatchObject({ format: "jpeg", width: 1200, height: 900 });

    // The same panorama is served at panoramaUrl.
    const served = await fetch(r.panoramaUrl);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toMatch(/image\/jpeg/);
    expect(await sharp(Buffer.from(await served.arrayBuffer())).metadata()).toMatchObject({ format: "jpeg", width: 1200, height: 900 });
  });

  it("answers a repeated query from the rerank cache", async () => {
    stub.script({ content: "Ranked list: [2, 1]\nReasons: cached pick" });
    const image = await makeJpeg(8);
    const first = await composed({ instruction: "same again", limit: 2 }, image);
    const panoramas = await fs.readdir(path.join(server.dataDir, "panoramas"));
    const second = await composed({ instruction: "same again", limit: 2 }, image);
    expect(stub.requests).toHaveLength(1);
    // The cached answer comes with the panorama already drawn: no second file (one per search was 3.4 GB/h under load).
    expect(second.data!.searchComposed.panoramaUrl).toBe(first.data!.searchComposed.panoramaUrl);
    expect(await fs.readdir(path.join(server.dataDir, "panoramas"))).toEqual(panoramas);
    expect(second.data!.searchComposed.ranking).toEqual(first.data!.searchComposed.ranking);
    expect(second.data!.searchComposed.explanation).toBe("cached pick");
  });

  it("sizes the panorama to the limit and applies filters", async () => {
    stub.script({ content: "Ranked list: [4, 3, 2, 1]\nReasons: four" });
    const res = await composed({ instruction: "a case", limit: 4, filter: { metadata: { category: "phone case" } } }, await makePng(3));
    const r = res.data!.searchComposed;
    expect(r.hits).toHaveLength(4);
    expect(r.hits.every((h: any) => h.image.metadata.category === "phone case")).toBe(true);
    expect(await panoramaOf(stub.requests[0])).toMatchObject({ width: 900, height: 600 });
    expect(r.ranking.map((h: any) => h.image.id)).toEqual([...r.hits].reverse().map((h: any) => h.image.id));
  });

  it("takes a catalogue image by id instead of an upload", async () => {
    stub.script({ content: "Ranked list: [1]\nReasons: itself" });
    const res = await composed({ imageId: ids[5], instruction: "like this", limit: 3 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.searchComposed.hits).toHaveLength(3);
    expect(res.data!.searchComposed.reranked).toBe(true);
  });

  it("skips the LLM when rerank is false", async () => {
    const res = await composed({ instruction: "no llm", rerank: false }, await makeJpeg(9));
    const r = res.data!.searchComposed;
    expect(stub.requests).toHaveLength(0);
    expect(r).toMatchObject({ reranked: false, panoramaUrl: null, explanation: null, model: null });
    expect(r.ranking).toEqual(r.hits.map((h: any) => ({ rank: h.rank, score: h.score, image: { id: h.image.id } })));
    expect(r.timings.rerankMs).toBe(0);
  });

  it("returns the vector order with the reason, never an error, when the LLM fails or stalls", async () => {
    stub.script({ status: 503, error: { message: "overloaded" } });
    const failed = await composed({ instruction: "llm down" }, await makeJpeg(10));
    expect(failed.errors).toBeUndefined();
    expect(failed.data!.searchComposed).toMatchObject({ reranked: false, explanation: null });
    expect(failed.data!.searchComposed.rerankError).toMatch(/failed \(503\).*overloaded/);
    expect(failed.data!.searchComposed.ranking.map((h: any) => h.image.id)).toEqual(failed.data!.searchComposed.hits.map((h: any) => h.image.id));

    stub.script({ delayMs: 5000, content: "Ranked list: [1]" });
    const slow = await composed({ instruction: "llm slow" }, await makeJpeg(11));
    expect(slow.errors).toBeUndefined();
    expect(slow.data!.searchComposed.rerankError).toBe("The LLM did not answer within 2000 ms (RERANK_TIMEOUT_MS)");

    stub.script({ content: "Sorry, no idea." });
    const unreadable = await composed({ instruction: "llm confused" }, await makeJpeg(12));
    expect(unreadable.data!.searchComposed.reranked).toBe(false);
    expect(unreadable.data!.searchComposed.rerankError).toMatch(/Could not read a ranking/);
  });

  it("rejects bad requests with stable codes", async () => {
    const cases: Array<[Record<string, unknown>, Buffer | undefined, string]> = [
      [{ instruction: "x", limit: 0 }, await makeJpeg(1), "BAD_USER_INPUT"],
      [{ instruction: "x", limit: 101 }, await makeJpeg(1), "BAD_USER_INPUT"],
      [{ instruction: "x".repeat(2001) }, await makeJpeg(1), "BAD_USER_INPUT"],
      [{ instruction: "x", imageWeight: 1.5 }, await makeJpeg(1), "BAD_USER_INPUT"],
      [{ instruction: "x", imageWeight: -0.1 }, await makeJpeg(1), "BAD_USER_INPUT"],
      [{ instruction: "x" }, undefined, "BAD_USER_INPUT"],
      [{ instruction: "x", imageId: "ffffffffffffffffffffffffffffffff" }, undefined, "NOT_FOUND"],
      [{ instruction: "x" }, Buffer.from("this is not an image"), "UNSUPPORTED_MEDIA_TYPE"],
      [{ instruction: "x" }, (await makeJpeg(2)).subarray(0, 600), "UNSUPPORTED_MEDIA_TYPE"],
    ];
    for (const [variables, image, code] of cases) {
      const res = await composed(variables, image);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(variables).slice(0, 80)).toBe(code);
    }
    expect(stub.requests).toHaveLength(0);
  });
});
