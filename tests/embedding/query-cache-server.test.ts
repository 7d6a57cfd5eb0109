// Over real HTTP and Milvus Lite: a repeated searchComposed answers without running the model, with the
// same hits; EMBED_QUERY_CACHE_SIZE=0 turns that off.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { runsOf } from "./support.js";

const ADD = `mutation ($file: Upload!) { addImage(file: $file) { image { id } } }`;
const COMPOSED = `mutation ($image: Upload, $instruction: String!) {
  searchComposed(image: $image, instruction: $instruction, limit: 3, rerank: false) { hits { score image { id } } }
}`;

describe.each([
  { cache: "256", modelRunsOnRepeat: false },
  { cache: "0", modelRunsOnRepeat: true },
])("EMBED_QUERY_CACHE_SIZE=$cache", ({ cache, modelRunsOnRepeat }) => {
  let server: TestServer;
  let query: Buffer;

  beforeAll(async () => {
    server = await startTestServer({ env: { EMBED_QUERY_CACHE_SIZE: cache } });
    for (let i = 0; i < 4; i++) {
      const res = await server.upload(ADD, {}, { file: { bytes: await makeJpeg(200 + i), name: `p${i}.jpg`, type: "image/jpeg" } });
      expect(res.errors).toBeUndefined();
    }
    query = await makeJpeg(9, 400, 300);
  }, 120_000);
  afterAll(() => server?.close());

  it(modelRunsOnRepeat ? "runs the model for every query" : "answers a repeated query without running the model", async () => {
    const search = () => server.upload(COMPOSED, { instruction: "phone case with this image theme" }, { image: { bytes: query, name: "q.jpg", type: "image/jpeg" } });
    const first = await search();
    expect(first.errors).toBeUndefined();
    const runs = runsOf(server.app.services.embedder);
    const again = await search();
    expect(again.data).toEqual(first.data);
    expect(runsOf(server.app.services.embedder) > runs).toBe(modelRunsOnRepeat);
  });
});
