// searchComposedStream over a real graphql-ws connection, with the LLM streaming its answer from a
// loopback OpenAI-compatible server (real server-sent events).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createClient } from "../../sdk/src/index.js";
import { makeJpeg } from "../support/images.js";
import { startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const ADD = `mutation ($file: Upload!, $metadata: JSONObject) { addImage(file: $file, metadata: $metadata) { image { id } } }`;
const HIT = `rank score image { id }`;
const STREAM = `subscription ($imageId: ID!, $instruction: String!, $limit: Int, $rerank: Boolean) {
  searchComposedStream(imageId: $imageId, instruction: $instruction, limit: $limit, rerank: $rerank) {
    kind explanationDelta
    hits { ${HIT} }
    ranking { ${HIT} }
    result { reranked rerankError explanation hits { ${HIT} } ranking { ${HIT} } best { ${HIT} } }
  }
}`;
const COMPOSED = `mutation ($imageId: ID!, $instruction: String!, $limit: Int) {
  searchComposed(imageId: $imageId, instruction: $instruction, limit: $limit) { reranked explanation hits { ${HIT} } ranking { ${HIT} } }
}`;

type Event = { kind: string; explanationDelta: string | null; hits: any[] | null; ranking: any[] | null; result: any };

const servers: Record<"text" | "json", TestServer> = {} as any;
let stub: OpenAIStub;
const ids: string[] = [];

beforeAll(async () => {
  stub = await startOpenAIStub();
  const env = { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_MAX_RETRIES: "0", RERANK_TIMEOUT_MS: "3000" };
  servers.text = await startTestServer({ env: { ...env, RERANK_RESPONSE_FORMAT: "text" } });
  servers.json = await startTestServer({ env });
  for (let i = 0; i < 6; i++) {
    const bytes = await makeJpeg(600 + i);
    for (const server of Object.values(servers)) {
      const res = await server.upload(ADD, { metadata: { title: `thing ${i}` } }, { file: { bytes, name: `${i}.jpg`, type: "image/jpeg" } });
      if (server === servers.text) ids.push(res.data!.addImage.image.id);
    }
  }
}, 120_000);
afterAll(async () => {
  for (const server of Object.values(servers)) await server?.close();
  await stub?.close();
});
beforeEach(() => {
  stub.requests.length = 0;
});

async function stream(server: TestServer, variables: Record<string, unknown>): Promise<{ events: Event[]; errors: unknown[] }> {
  const ws = wsClient(server.url);
  try {
    const { events, errors } = await collect(ws, STREAM, { imageId: ids[0], limit: 3, ...variables });
    return { events: events.map((e: any) => e.searchComposedStream), errors };
  } finally {
    await ws.dispose();
  }
}
const idsOf = (hits: any[]) => hits.map((h) => h.image.id);

describe("searchComposedStream", () => {
  it("sends the hits, then the ranking once its list is complete, the explanation piece by piece, then the result", async () => {
    stub.script({ content: "Ranked list: [3, 1, 2]\nReasons: Candidate 3 has the stripes you asked for.", chunkDelayMs: 15 });
    const { events, errors } = await stream(servers.text, { instruction: "streamed in text" });
    expect(errors).toEqual([]);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0].body.stream).toBe(true);

    expect(events[0].kind).toBe("HITS");
    const hits = events[0].hits!;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(idsOf(hits)).not.toContain(ids[0]);

    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === "RANKING")).toHaveLength(1);
    expect(kinds.at(-1)).toBe("RESULT");
    const ranking = events.find((e) => e.kind === "RANKING")!.ranking!;
    expect(idsOf(ranking)).toEqual([2, 0, 1].map((i) => hits[i].image.id));
    expect(ranking.map((h) => h.rank)).toEqual([1, 2, 3]);

    const deltas = events.filter((e) => e.kind === "EXPLANATION").map((e) => e.explanationDelta!);
    expect(deltas.length).toBeGreaterThan(1);
    // The ranking came before the explanation finished arriving.
    expect(kinds.indexOf("RANKING")).toBeLessThan(kinds.lastIndexOf("EXPLANATION"));
    const result = events.at(-1)!.result;
    expect(result).toMatchObject({ reranked: true, rerankError: null, explanation: "Candidate 3 has the stripes you asked for." });
    expect(deltas.join("").trim()).toBe(result.explanation);
    expect(result.ranking).toEqual(ranking);
    expect(result.hits).toEqual(hits);

    // The same search as a mutation answers the same (from the answer cache: no second LLM call).
    const once = await servers.text.graphql(COMPOSED, { imageId: ids[0], instruction: "streamed in text", limit: 3 });
    expect(once.data!.searchComposed).toEqual({ reranked: true, explanation: result.explanation, hits, ranking });
    expect(stub.requests).toHaveLength(1);
  });

  it("reads the structured (JSON) answer as it streams, escapes included", async () => {
    const reasons = 'The "blue" one\nfits best';
    stub.script({ content: JSON.stringify({ ranking: [2, 3, 1], reasons }), chunkDelayMs: 5 });
    const { events, errors } = await stream(servers.json, { instruction: "streamed as json" });
    expect(errors).toEqual([]);
    expect(stub.requests[0].body.response_format?.type).toBe("json_schema");
    const hits = events[0].hits!;
    expect(idsOf(events.find((e) => e.kind === "RANKING")!.ranking!)).toEqual([1, 2, 0].map((i) => hits[i].image.id));
    const deltas = events.filter((e) => e.kind === "EXPLANATION").map((e) => e.explanationDelta).join("");
    expect(deltas).toBe(reasons);
    expect(events.at(-1)!.result).toMatchObject({ reranked: true, explanation: reasons });
  });

  it("ends with the vector order and rerankError when the LLM's stream breaks off", async () => {
    stub.script({ content: "Ranked list: [3, 1, 2]\nReasons: never finished", chunkDelayMs: 5, breakAfterChunks: 2 });
    const { events, errors } = await stream(servers.text, { instruction: "broken stream" });
    expect(errors).toEqual([]);
    const hits = events[0].hits!;
    const result = events.at(-1)!.result;
    expect(events.at(-1)!.kind).toBe("RESULT");
    expect(result.reranked).toBe(false);
    expect(result.rerankError).toEqual(expect.any(String));
    expect(result.ranking).toEqual(hits);
  });

  it("sends the hits and the result only when rerank is off, and NOT_FOUND for an unknown image", async () => {
    const { events } = await stream(servers.text, { instruction: "no llm", rerank: false });
    expect(events.map((e) => e.kind)).toEqual(["HITS", "RESULT"]);
    expect(stub.requests).toHaveLength(0);
    const missing = await stream(servers.text, { imageId: "f".repeat(64), instruction: "x" });
    expect(missing.events).toEqual([]);
    expect((missing.errors[0] as any).extensions?.code).toBe("NOT_FOUND");
  });

  it("streams through the SDK as an async iterable: client.searchComposedStream(...)", async () => {
    stub.script({ content: "Ranked list: [2, 1, 3]\nReasons: the SDK way" });
    const client = createClient({ url: `${servers.text.url}/graphql`, webSocketImpl: WebSocket });
    try {
      const kinds: string[] = [];
      let last: any;
      for await (const event of client.searchComposedStream({ imageId: ids[1], instruction: "through the sdk", limit: 3 })) {
        kinds.push(event.kind);
        last = event;
      }
      expect(kinds[0]).toBe("HITS");
      expect(kinds).toContain("RANKING");
      expect(last.result).toMatchObject({ reranked: true, explanation: "the SDK way" });
    } finally {
      await client.close();
    }
  });
});
