// `mmrag ingest <folder>` as a person runs it: in-process on a data dir, and through a running server
// named by MMRAG_URL; a bad file fails alone and makes the exit code non-zero.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk } from "../sdk/support.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, testEnv, type TestServer } from "../support/server.js";
import { runCli } from "./support.js";

let folder: string;
let server: TestServer;

beforeAll(async () => {
  folder = await tempDir("mmrag-cli-ingest-");
  for (let i = 0; i < 3; i++) await fs.writeFile(path.join(folder, `photo-${i}.jpg`), await makeJpeg(400 + i));
  await fs.writeFile(path.join(folder, "photo-0.json"), JSON.stringify({ title: "first photo" }));
  await fs.writeFile(path.join(folder, "broken.jpg"), (await makeJpeg(499)).subarray(0, 500));
  [server] = await Promise.all([startTestServer({ env: { INGEST_ROOTS: folder } }), buildSdk()]);
}, 180_000);
const dataDirFor = () => `${folder}-data`;
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
  await fs.rm(dataDirFor(), { recursive: true, force: true });
});

describe("mmrag ingest", () => {
  it("loads a folder through the server named by MMRAG_URL, reports the broken file and exits 1", async () => {
    const run = await runCli(["ingest", folder, "--json"], { env: { MMRAG_URL: server.url } });
    expect(run.code, run.stderr).toBe(1);
    const job = JSON.parse(run.stdout);
    expect(job).toMatchObject({ status: "PARTIAL", total: 4, succeeded: 3, failed: 1, kind: "folder" });
    expect(job.errors).toEqual([expect.objectContaining({ item: "broken.jpg", code: "UNSUPPORTED_MEDIA_TYPE" })]);
    const titles = (await server.graphql(`{ images(first: 10) { nodes { metadata } } }`)).data!.images.nodes.map((n: any) => n.metadata.title);
    expect(titles).toContain("first photo");

    const again = await runCli(["ingest", folder, "--json"], { env: { MMRAG_URL: server.url } });
    expect(JSON.parse(again.stdout)).toMatchObject({ succeeded: 0, skipped: 3, failed: 1 });
  });

  it("works in-process on a data dir without a server, with a readable summary", async () => {
    const env = await testEnv(dataDirFor());
    const run = await runCli(["ingest", folder, "--pattern", "photo-*.jpg"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SUCCEEDED: 3 added, 0 already in the catalogue, 0 failed, of 3/);
  });

  it("says so when the server cannot be reached", async () => {
    const run = await runCli(["ingest", folder], { env: { MMRAG_URL: "http://127.0.0.1:9" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NETWORK_ERROR.*Is the mmrag server running at http:\/\/127\.0\.0\.1:9/s);
  });
});
