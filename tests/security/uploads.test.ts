// Uploads over the limit are refused where the bytes arrive, on every upload path, and nothing is stored;
// malformed multipart requests get GraphQL-shaped JSON with a code, never an HTML page.
import fs from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GRAPHQL_PATH } from "../../src/app.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { codes, post, upload } from "./support.js";

const LIMIT = 1024 * 1024;

/** A real JPEG followed by padding up to `size` bytes: decoders read it fine, so only the size can refuse it. */
async function paddedJpeg(seed: number, size: number): Promise<Buffer> {
  const jpeg = await makeJpeg(seed);
  return Buffer.concat([jpeg, Buffer.alloc(size - jpeg.length, 0)]);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe("upload size limit (MAX_UPLOAD_BYTES = 1 MiB)", () => {
  let server: TestServer;
  let tooLarge: Buffer;

  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_UPLOAD_BYTES: String(LIMIT), INGEST_MAX_FILES: "3" } });
    tooLarge = await paddedJpeg(1, 3 * 1024 * 1024);
  });

  const stored = async () => (await server.graphql<{ stats: { images: number } }>("{ stats { images } }")).data!.stats.images;

  it("refuses an oversized addImage with PAYLOAD_TOO_LARGE and stores nothing (it was cut to 1 MiB and stored)", async () => {
    const res = await upload(server.url, "mutation ($file: Upload!) { addImage(file: $file) { created image { id bytes } } }", { file: null }, [
      { path: "variables.file", file: { bytes: tooLarge, name: "big.jpg" } },
    ]);
    expect(codes(res)).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(res.body.data?.addImage ?? null).toBeNull();
    expect(await stored()).toBe(0);
    expect(await filesUnder(path.join(server.dataDir, "images"))).toEqual([]);
  });

  it("accepts a file of exactly the limit, whole", async () => {
    const exact = await paddedJpeg(2, LIMIT);
    const res = await upload(server.url, "mutation ($file: Upload!) { addImage(file: $file) { created image { bytes } } }", { file: null }, [
      { path: "variables.file", file: { bytes: exact, name: "exact.jpg" } },
    ]);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.addImage).toEqual({ created: true, image: { bytes: LIMIT } });
    await server.graphql("mutation ($id: ID!) { deleteImage(id: $id) }", { id: (await server.graphql("{ images { nodes { id } } }")).data!.images.nodes[0].id });
  });

  it("refuses oversized query images in searchByImage and searchComposed", async () => {
    const byImage = await upload(server.url, "mutation ($image: Upload!) { searchByImage(image: $image) { score } }", { image: null }, [
      { path: "variables.image", file: { bytes: tooLarge, name: "q.jpg" } },
    ]);
    expect(codes(byImage)).toEqual(["PAYLOAD_TOO_LARGE"]);
    const composed = await upload(
      server.url,
      'mutation ($image: Upload) { searchComposed(image: $image, instruction: "same, in red", rerank: false) { hits { score } } }',
      { image: null },
      [{ path: "variables.image", file: { bytes: tooLarge, name: "q.jpg" } }],
    );
    expect(codes(composed)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  it("refuses an ingestImages batch with one oversized file: no job, nothing stored, nothing left in the spool", async () => {
    const small = await makeJpeg(3);
    const res = await upload(server.url, "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id } }", { files: [null, null] }, [
      { path: "variables.files.0", file: { bytes: small, name: "ok.jpg" } },
      { path: "variables.files.1", file: { bytes: tooLarge, name: "big.jpg" } },
    ]);
    expect(codes(res)).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(res.body.errors![0].extensions).toMatchObject({ field: "files.1", maxBytes: LIMIT });
    expect((await server.graphql("{ ingestJobs { id } }")).data!.ingestJobs).toEqual([]);
    expect(await filesUnder(path.join(server.dataDir, "uploads"))).toEqual([]);
    expect(await stored()).toBe(0);
  });

  it("answers more files than INGEST_MAX_FILES with PAYLOAD_TOO_LARGE as JSON", async () => {
    const small = await makeJpeg(4);
    const files = [0, 1, 2, 3].map((i) => ({ path: `variables.files.${i}`, file: { bytes: small, name: `${i}.jpg` } }));
    const res = await upload(server.url, "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id } }", { files: [null, null, null, null] }, files);
    expect(res.status).toBe(413);
    expect(codes(res)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });
});

describe("malformed multipart and JSON requests", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  it("a map naming a file that was not sent is BAD_USER_INPUT, not INTERNAL_SERVER_ERROR", async () => {
    const small = await makeJpeg(5);
    const res = await upload(
      server.url,
      "mutation ($files: [Upload!]!) { ingestImages(files: $files) { id } }",
      { files: [null, null] },
      [{ path: "variables.files.0", file: { bytes: small, name: "a.jpg" } }],
      { map: { "0": ["variables.files.0"], "1": ["variables.files.1"] } },
    );
    expect(codes(res)).toEqual(["BAD_USER_INPUT"]);
    expect(res.body.errors![0].message).toMatch(/files\.1/);
  });

  it("an empty multipart body is a 400 with BAD_REQUEST as JSON, not an HTML 500", async () => {
    const res = await fetch(`${server.url}${GRAPHQL_PATH}`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=xyz", "apollo-require-preflight": "true" },
      body: "",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect((await res.json()).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("broken JSON is a 400 with BAD_REQUEST as JSON", async () => {
    const res = await fetch(`${server.url}${GRAPHQL_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query": ' });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("a JSON body over the limit is a 413 with PAYLOAD_TOO_LARGE as JSON", async () => {
    const res = await post(server.url, "{ stats { images } }", { padding: "x".repeat(3 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(codes(res)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });
});
