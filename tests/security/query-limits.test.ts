// Costly operations are refused before they run, with QUERY_TOO_COMPLEX, on HTTP and graphql-ws alike.
import { beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";
import { codes, post } from "./support.js";

const IMAGE_FIELDS = "id url thumbnailUrl width height format bytes metadata createdAt";

describe("query cost limits", () => {
  let server: TestServer;

  beforeAll(async () => {
    // A low depth limit, since this schema has no cycles to nest deeply through (introspection is bounded by tokens).
    server = await startTestServer({ env: { GRAPHQL_MAX_DEPTH: "3" } });
  });

  it("refuses 1,000 aliases of images(first: 1000) (a 45 MB answer before)", async () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: images(first: 1000) { nodes { id } }`).join(" ")} }`;
    const res = await post(server.url, query);
    expect(res.status).toBe(400);
    expect(codes(res)).toContain("QUERY_TOO_COMPLEX");
    expect(res.body.data ?? null).toBeNull();
  });

  it("refuses 100,000 repeated fields at parse time", async () => {
    const started = Date.now();
    const res = await post(server.url, `{ stats { ${"images ".repeat(100_000)} } }`);
    expect(codes(res)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(res.body.errors![0].message).toMatch(/tokens/);
    // Not a timing assertion on speed: it only shows the refusal came before the work.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("counts page sizes into the cost, variables included, and still runs a large ordinary page", async () => {
    const page = `query ($n: Int!) { ${Array.from({ length: 20 }, (_, i) => `p${i}: images(first: $n) { nodes { ${IMAGE_FIELDS} } }`).join(" ")} }`;
    const refused = await post(server.url, page, { n: 1000 });
    expect(codes(refused)).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(refused.body.errors![0].extensions).toMatchObject({ limit: 50_000 });
    const fine = await post(server.url, `{ images(first: 1000) { totalCount nodes { ${IMAGE_FIELDS} } } }`);
    expect(fine.body.errors).toBeUndefined();
  });

  it("counts each query of a searchBatch with its own page size", async () => {
    // Within this server's depth limit of 3: 300 queries × 100 hits × 3 fields is over the cost of 50,000.
    const batch = "query ($queries: [SearchInput!]!) { searchBatch(queries: $queries) { hits { score rank } } }";
    const many = Array.from({ length: 300 }, (_, i) => ({ text: `query ${i}`, limit: 100 }));
    expect(codes(await post(server.url, batch, { queries: many }))).toEqual(["QUERY_TOO_COMPLEX"]);
    expect(codes(await post(server.url, batch, { queries: many.slice(0, 2) }))).not.toContain("QUERY_TOO_COMPLEX");
  });

  it("refuses queries deeper than GRAPHQL_MAX_DEPTH", async () => {
    expect(codes(await post(server.url, "{ images { edges { node { id } } } }"))).toEqual(["QUERY_TOO_COMPLEX"]);
    expect((await post(server.url, "{ images { nodes { id } } }")).body.errors).toBeUndefined();
  });

  it("applies the same limits over graphql-ws", async () => {
    const client = wsClient(server.url);
    try {
      const query = `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: images(first: 1000) { nodes { id } }`).join(" ")} }`;
      const { errors } = await collect(client, query, {});
      expect((errors as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code)).toContain("QUERY_TOO_COMPLEX");
      const tokens = await collect(client, `{ stats { ${"images ".repeat(100_000)} } }`, {});
      expect((tokens.errors as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code)).toEqual(["QUERY_TOO_COMPLEX"]);
    } finally {
      await client.dispose();
    }
  });
});
