// The reranker against a real OpenAI-compatible HTTP server on loopback, through the official openai SDK.
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { drawPanorama } from "../../src/services/panorama/draw-panorama.js";
import { RerankService, type RerankRequest } from "../../src/services/rerank/index.js";
import { decoded, makeJpeg } from "../support/images.js";
import { panoramaOf, promptOf, startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";

const logger = pino({ level: "silent" });
let stub: OpenAIStub;
let request: RerankRequest;

function rerankConfig(overrides: Partial<Config["rerank"]> = {}): Config["rerank"] {
  return { apiKey: "sk-test", baseUrl: stub.url, model: "gpt-4o", timeoutMs: 5000, maxRetries: 0, maxTokens: 600, responseFormat: "text", cacheSize: 100, metadataChars: 60, ...overrides };
}

beforeAll(async () => {
  stub = await startOpenAIStub();
  const candidates = await Promise.all([2, 3, 4, 5].map(async (s) => decoded(await makeJpeg(s))));
  const panorama = await drawPanorama(await decoded(await makeJpeg(1)), candidates);
  request = {
    instruction: "phone case with this image theme",
    queryImageHash: "a".repeat(64),
    panorama: async () => panorama.jpeg,
    candidates: [
      { id: "img-0", metadata: { title: "Leopard print phone case", reviews: [{ text: "x".repeat(5000) }], description: "y".repeat(500) } },
      { id: "img-1", metadata: { title: "Blue mug" } },
      { id: "img-2", metadata: null },
      { id: "img-3" },
    ],
  };
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
});

describe("rerank: what goes to the LLM", () => {
  it("sends the model, the instruction, trimmed metadata and the panorama as a decodable JPEG", async () => {
    stub.script({ content: "Ranked list: [3, 1, 4, 2]\nReasons: The leopard theme matches." });
    await new RerankService(rerankConfig(), { logger }).rerank(request);

    expect(stub.requests).toHaveLength(1);
    const sent = stub.requests[0];
    expect(sent.headers.authorization).toBe("Bearer sk-test");
    expect(sent.body.model).toBe("gpt-4o");
    const prompt = promptOf(sent);
    expect(prompt).toContain("User instruction: phone case with this image theme");
    // Numbered from 1, as on the panorama and the user's grid.
    expect(prompt).toContain("numbered 1 to 4");
    expect(prompt).toMatch(/1\. title: Leopard print phone case; description: y+…/);
    expect(prompt).toContain("2. title: Blue mug");
    expect(prompt).not.toContain("x".repeat(100)); // nested review blobs stay out
    expect(prompt.split("\n").find((l) => l.startsWith("1. "))!.length).toBeLessThanOrEqual(3 + 60);
    expect(prompt).toContain("Ranked list: []");

    const panorama = await panoramaOf(sent);
    expect(panorama).toMatchObject({ format: "jpeg", width: 900, height: 600 });
  });
});

describe("rerank: reading answers", () => {
  const cases: Array<[string, string, number[], string | null]> = [
    ["the seed's format", "Ranked list: [3, 1, 4, 2]\nReasons: The leopard theme matches.", [2, 0, 3, 1], "The leopard theme matches."],
    ["markdown around the markers", "**Ranked list:** [4, 3, 2, 1]\n\n**Reasons:** Blue fits.", [3, 2, 1, 0], "Blue fits."],
    ["prose without brackets", "Ranked list: 2, 4, 1, 3\nReasons: It is the closest.", [1, 3, 0, 2], "It is the closest."],
    ["no marker at all", "I would rank 4 first, then 2, 1 and 3.\nReasons: colours.", [3, 1, 0, 2], "colours."],
    ["out-of-range, repeated and missing indices", "Ranked list: [3, 10, 3, 0, 2]\nReasons: two is best", [2, 1, 0, 3], "two is best"],
    ["JSON instead of text", '```json\n{"ranking": [2, 1, 3, 4], "reasons": "json answer"}\n```', [1, 0, 2, 3], "json answer"],
    ["a list with no reasons", "Ranked list: [4, 3, 2, 1]", [3, 2, 1, 0], null],
  ];
  for (const [name, content, order, explanation] of cases) {
    it(`reads ${name}`, async () => {
      stub.script({ content });
      const outcome = await new RerankService(rerankConfig(), { logger }).rerank(request);
      expect(outcome).toMatchObject({ reranked: true, order, explanation, error: null, model: "gpt-4o", cached: false });
    });
  }

  it("gives the vector order and says why when the answer has no ranking", async () => {
    stub.script({ content: "I cannot help with that." });
    const outcome = await new RerankService(rerankConfig(), { logger }).rerank(request);
    expect(outcome).toMatchObject({ reranked: false, order: [0, 1, 2, 3], explanation: null });
    expect(outcome.error).toMatch(/Could not read a ranking.*I cannot help with that/);
  });

  it("treats a ranking with no index in range as unreadable", async () => {
    stub.script({ content: "Ranked list: [7, 8, 9]\nReasons: none" });
    const outcome = await new RerankService(rerankConfig(), { logger }).rerank(request);
    expect(outcome).toMatchObject({ reranked: false, order: [0, 1, 2, 3] });
    expect(outcome.error).toMatch(/names no candidate between 1 and 4/);
  });

  it("reports a refusal", async () => {
    stub.script({ refusal: "I can't rank these." });
    const outcome = await new RerankService(rerankConfig(), { logger }).rerank(request);
    expect(outcome.error).toBe("The LLM refused: I can't rank these.");
  });
});

describe("rerank: structured output", () => {
  it("asks for json_schema and reads the JSON answer", async () => {
    stub.script({ content: '{"ranking": [4, 1, 2, 3], "reasons": "structured"}' });
    const outcome = await new RerankService(rerankConfig({ responseFormat: "auto" }), { logger }).rerank(request);
    expect(outcome).toMatchObject({ reranked: true, order: [3, 0, 1, 2], explanation: "structured" });
    const sent = stub.requests[0].body;
    expect(sent.response_format.type).toBe("json_schema");
    expect(sent.response_format.json_schema.schema.required).toEqual(["ranking", "reasons"]);
  });

  it("falls back to the text format when the endpoint refuses json_schema, and remembers", async () => {
    stub.script((req) =>
      req.body.response_format
        ? { status: 400, error: { message: "response_format json_schema is not supported by this model", type: "invalid_request_error" } }
        : { content: "Ranked list: [2, 3, 4, 1]\nReasons: text fallback" },
    );
    const service = new RerankService(rerankConfig({ responseFormat: "auto" }), { logger });
    expect(await service.rerank(request)).toMatchObject({ reranked: true, order: [1, 2, 3, 0], explanation: "text fallback" });
    expect(stub.requests.map((r) => Boolean(r.body.response_format))).toEqual([true, false]);

    await service.rerank({ ...request, instruction: "another query" });
    expect(stub.requests.map((r) => Boolean(r.body.response_format))).toEqual([true, false, false]);
  });
});

describe("rerank: never a failure for the caller", () => {
  it("is off, without a request, when no key or endpoint is configured", async () => {
    const outcome = await new RerankService(rerankConfig({ apiKey: undefined, baseUrl: undefined }), { logger }).rerank(request);
    expect(outcome).toMatchObject({ reranked: false, order: [0, 1, 2, 3], model: null });
    expect(outcome.error).toMatch(/OPENAI_API_KEY/);
    expect(stub.requests).toHaveLength(0);
  });

  it("needs no key for a local endpoint", async () => {
    stub.script({ content: "Ranked list: [1, 2, 3, 4]\nReasons: local" });
    const outcome = await new RerankService(rerankConfig({ apiKey: undefined }), { logger }).rerank(request);
    expect(outcome.reranked).toBe(true);
  });

  it("gives up at the timeout, retries included", async () => {
    stub.script({ delayMs: 3000, content: "Ranked list: [1]" });
    const started = Date.now();
    const outcome = await new RerankService(rerankConfig({ timeoutMs: 300, maxRetries: 2 }), { logger }).rerank(request);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(outcome).toMatchObject({ reranked: false, order: [0, 1, 2, 3] });
    expect(outcome.error).toBe("The LLM did not answer within 300 ms (RERANK_TIMEOUT_MS)");
  });

  it("retries server errors, then reports the status", async () => {
    stub.script({ status: 500, error: { message: "upstream exploded" } });
    const outcome = await new RerankService(rerankConfig({ maxRetries: 1 }), { logger }).rerank(request);
    expect(stub.requests).toHaveLength(2);
    expect(outcome.reranked).toBe(false);
    expect(outcome.error).toMatch(/failed \(500\) after 1 retries.*upstream exploded/);
  });

  it("reports rate limits, a bad key and an unknown model in words", async () => {
    const service = (overrides = {}) => new RerankService(rerankConfig(overrides), { logger });
    stub.script({ status: 429, error: { message: "slow down" } });
    expect((await service().rerank(request)).error).toMatch(/rate-limiting \(429\)/);
    stub.script({ status: 401, error: { message: "bad key" } });
    expect((await service().rerank(request)).error).toMatch(/refused the API key \(401\).*OPENAI_API_KEY/);
    stub.script({ status: 404, error: { message: "no such model" } });
    expect((await service({ model: "gpt-9" }).rerank(request)).error).toMatch(/no model "gpt-9" \(404\)/);
  });

  it("reports an endpoint that cannot be reached", async () => {
    const outcome = await new RerankService(rerankConfig({ baseUrl: "http://127.0.0.1:9/v1" }), { logger }).rerank(request);
    expect(outcome.reranked).toBe(false);
    expect(outcome.error).toMatch(/Could not reach the LLM endpoint http:\/\/127\.0\.0\.1:9\/v1/);
  });
});

describe("rerank: cache", () => {
  it("answers a repeated query from the cache, and asks again for another image, instruction or candidate set", async () => {
    stub.script({ content: "Ranked list: [4, 3, 2, 1]\nReasons: cached" });
    const service = new RerankService(rerankConfig(), { logger });
    const first = await service.rerank(request);
    const again = await service.rerank(request);
    expect(stub.requests).toHaveLength(1);
    expect(again).toMatchObject({ reranked: true, cached: true, order: first.order, explanation: "cached" });

    await service.rerank({ ...request, queryImageHash: "b".repeat(64) });
    await service.rerank({ ...request, instruction: "something else" });
    await service.rerank({ ...request, candidates: [...request.candidates].reverse() });
    expect(stub.requests).toHaveLength(4);
  });

  it("does not cache failures, and stays within its size", async () => {
    stub.script({ status: 400, error: { message: "bad request" } });
    const service = new RerankService(rerankConfig({ cacheSize: 2 }), { logger });
    await service.rerank(request);
    await service.rerank(request);
    expect(stub.requests).toHaveLength(2);

    stub.script({ content: "Ranked list: [1, 2, 3, 4]\nReasons: ok" });
    for (const instruction of ["a", "b", "c"]) await service.rerank({ ...request, instruction });
    stub.requests.length = 0;
    await service.rerank({ ...request, instruction: "c" });
    await service.rerank({ ...request, instruction: "a" }); // evicted: the oldest of three in a cache of two
    expect(stub.requests.map((r) => promptOf(r).includes("User instruction: a\n"))).toEqual([true]);
  });
});
