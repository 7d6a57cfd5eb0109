// A client's whole round trip over real HTTP against real Milvus Lite: add, list a page at a time,
// fetch, download, filter, delete.
import http from "node:http";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, makePng } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = /* GraphQL */ `
  mutation Add($file: Upload!, $metadata: JSONObject) {
    addImage(file: $file, metadata: $metadata) {
      created
      image { id url thumbnailUrl width height format bytes metadata createdAt }
    }
  }
`;
const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $filter: ImageFilter) {
    images(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id metadata } }
    }
  }
`;

let server: TestServer;
const added: Array<{ id: string; url: string; thumbnailUrl: string; bytes: Buffer }> = [];

beforeAll(async () => {
  server = await startTestServer();
  for (let i = 0; i < 5; i++) {
    const bytes = await makeJpeg(i);
    const res = await server.upload(ADD, { metadata: { title: `item ${i}`, category: i % 2 ? "case" : "poster", price: i * 10 } }, { file: { bytes, name: `item-${i}.jpg`, type: "image/jpeg" } });
    expect(res.errors).toBeUndefined();
    added.push({ ...res.data!.addImage.image, bytes });
  }
});

describe("adding images", () => {
  it("stores the image with its size, format, metadata and sha256 id", async () => {
    const res = await server.upload(ADD, { metadata: { title: "png" } }, { file: { bytes: await makePng(1), name: "a.png" } });
    const { created, image } = res.data!.addImage;
    expect(created).toBe(true);
    expect(image).toMatchObject({ width: 64, height: 48, format: "png", metadata: { title: "png" } });
    expect(image.id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(image.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    await server.graphql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: image.id });
  });

  it("adds the same bytes once, however often they are uploaded", async () => {
    const before = (await server.graphql(`{ stats { images } }`)).data!.stats.images;
    const res = await server.upload(ADD, {}, { file: { bytes: added[0].bytes, name: "again.jpg" } });
    expect(res.data!.addImage).toMatchObject({ created: false, image: { id: added[0].id } });
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(before);
  });

  it("refuses bytes that are not an image, with UNSUPPORTED_MEDIA_TYPE, and stores nothing", async () => {
    const before = (await server.graphql(`{ stats { images } }`)).data!.stats.images;
    const jpeg = await makeJpeg(42);
    for (const bytes of [Buffer.from("not an image at all"), jpeg.subarray(0, Math.floor(jpeg.length / 2)), Buffer.alloc(0)]) {
      const res = await server.upload(ADD, {}, { file: { bytes, name: "bad.jpg" } });
      expect(res.data).toBeNull();
      expect(res.errors?.[0].extensions?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(before);
  });

  it("refuses metadata that is not a JSON object", async () => {
    const res = await server.upload(ADD, { metadata: [1, 2] }, { file: { bytes: await makeJpeg(7), name: "x.jpg" } });
    expect(res.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("keeps Apollo's CSRF prevention on: a multipart request without a preflight header is refused", async () => {
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: ADD, variables: { file: null } }));
    form.append("map", JSON.stringify({ 0: ["variables.file"] }));
    form.append("0", new Blob([new Uint8Array(added[0].bytes)]), "x.jpg");
    const res = await fetch(`${server.url}/graphql`, { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF/i);
  });
});

describe("reading the catalogue", () => {
  it("pages through every image once, in a stable order, with a total", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: any = await server.graphql(LIST, { first: 2, after });
      expect(res.errors).toBeUndefined();
      const page = res.data.images;
      expect(page.totalCount).toBe(5);
      expect(page.edges.length).toBeLessThanOrEqual(2);
      seen.push(...page.edges.map((e: any) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(added.map((a) => a.id).sort());
  });

  it("filters on metadata and says how many match", async () => {
    const res = await server.graphql(LIST, { first: 10, filter: { metadata: { category: "case" } } });
    const page = res.data!.images;
    expect(page.totalCount).toBe(2);
    expect(page.edges.map((e: any) => e.node.metadata.category)).toEqual(["case", "case"]);
    const numeric = await server.graphql(LIST, { first: 10, filter: { metadata: { price: [0, 40] } } });
    expect(numeric.data!.images.totalCount).toBe(2);
  });

  it("rejects a filter key that could change the expression, and a cursor it never gave out", async () => {
    const injected = await server.graphql(LIST, { filter: { metadata: { 'a"] == 1 or id != "': "x" } } });
    expect(injected.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const bad = await server.graphql(LIST, { after: "bm90LWEtY3Vyc29y" });
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const tooMany = await server.graphql(LIST, { first: 5000 });
    expect(tooMany.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("fetches one image by id, and answers null for an unknown id", async () => {
    const res = await server.graphql(`query($id: ID!) { image(id: $id) { id metadata } }`, { id: added[2].id });
    expect(res.data!.image).toEqual({ id: added[2].id, metadata: { title: "item 2", category: "poster", price: 20 } });
    const missing = await server.graphql(`query($id: ID!) { image(id: $id) { id } }`, { id: "0".repeat(64) });
    expect(missing).toEqual({ data: { image: null } });
  });

  it("serves the original bytes and a small WebP thumbnail with long-lived cache headers", async () => {
    const original = await fetch(added[1].url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/jpeg");
    expect(original.headers.get("cache-control")).toContain("immutable");
    expect(Buffer.from(await original.arrayBuffer()).equals(added[1].bytes)).toBe(true);

    const thumb = await fetch(added[1].thumbnailUrl);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(meta.format).toBe("webp");
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(256);
  });

  it("never serves anything outside the image store", async () => {
    // Raw request paths: fetch() would resolve the dot segments itself before sending them.
    const status = (requestPath: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: new URL(server.url).hostname, port: new URL(server.url).port, path: requestPath }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on("error", reject);
      });
    for (const p of ["/images/..%2f..%2fpackage.json", "/images/../package.json", "/thumbnails/..%2F..%2Fmilvus.db", `/images/${"a".repeat(64)}.jpg`, "/images/%2e%2e", "/images/%2e%2e/%2e%2e/package.json"]) {
      expect(await status(p), p).toBe(404);
    }
  });

  it("answers over graphql-ws on the same /graphql path", async () => {
    const { createClient } = await import("graphql-ws");
    const { WebSocket } = await import("ws");
    const client = createClient({ url: server.url.replace(/^http/, "ws") + "/graphql", webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const result = await new Promise<any>((resolve, reject) => {
        let value: unknown;
        client.subscribe({ query: "{ stats { images backend } }" }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
      });
      expect(result.data.stats).toEqual({ images: 5, backend: "milvus-lite" });
    } finally {
      await client.dispose();
    }
  });
});

describe("deleting", () => {
  it("removes the vector and the files; a second delete is NOT_FOUND", async () => {
    const victim = added[4];
    const res = await server.graphql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: victim.id });
    expect(res).toEqual({ data: { deleteImage: true } });
    expect((await server.graphql(`query($id: ID!) { image(id: $id) { id } }`, { id: victim.id })).data!.image).toBeNull();
    expect((await fetch(victim.url)).status).toBe(404);
    expect((await fetch(victim.thumbnailUrl)).status).toBe(404);
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(4);

    const again = await server.graphql(`mutation($id: ID!) { deleteImage(id: $id) }`, { id: victim.id });
    expect(again.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    expect(again.errors?.[0].message).toContain(victim.id);
  });
});
