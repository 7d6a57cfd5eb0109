// `mmrag ingest <folder>` as a person runs it: in-process on a data dir, and through a running server
// named by MMRAG_URL; a bad file fails alone and makes the exit code non-zero.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk } from "../sdk/support.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, testEnv, type TestServer } from "../support/server.js";
import { runCli, runCliInTerminal, spawnCli } from "./support.js";

let folder: string;
let many: string;
let server: TestServer;

beforeAll(async () => {
  folder = await tempDir("mmrag-cli-ingest-");
  for (let i = 0; i < 3; i++) await fs.writeFile(path.join(folder, `photo-${i}.jpg`), await makeJpeg(400 + i));
  await fs.writeFile(path.join(folder, "photo-0.json"), JSON.stringify({ title: "first photo" }));
  await fs.writeFile(path.join(folder, "broken.jpg"), (await makeJpeg(499)).subarray(0, 500));
  // Enough images, ingested one at a time, for a job that is still running when the person presses Ctrl-C.
  many = await tempDir("mmrag-cli-ingest-many-");
  for (let i = 0; i < 120; i++) await fs.writeFile(path.join(many, `item-${i}.jpg`), await makeJpeg(1000 + i, 640, 480));
  [server] = await Promise.all([startTestServer({ env: { INGEST_ROOTS: `${folder},${many}`, INGEST_CONCURRENCY: "1" } }), buildSdk()]);
}, 180_000);
const dataDirFor = () => `${folder}-data`;
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
  await fs.rm(many, { recursive: true, force: true });
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
    // Without a sidecar, the file name is the title, and the CLI shows it.
    expect(titles).toContain("photo-1");
    const found = await runCli(["search", "--image", path.join(folder, "photo-1.jpg"), "--text", "photo", "--no-rerank", "--limit", "3"], { env: { MMRAG_URL: server.url } });
    expect(found.stdout).toMatch(/^ +1 +-?\d\.\d{3} +[0-9a-f]{12} +photo-1 *$/m);
    expect(found.stdout).toMatch(/\nClosest match: photo-1 [0-9a-f]{12} /);

    const again = await runCli(["ingest", folder, "--json"], { env: { MMRAG_URL: server.url } });
    expect(JSON.parse(again.stdout)).toMatchObject({ succeeded: 0, skipped: 3, failed: 1 });
  }, 180_000);

  it("works in-process on a data dir without a server, with a readable summary", async () => {
    const env = await testEnv(dataDirFor());
    const run = await runCli(["ingest", folder, "--pattern", "photo-*.jpg"], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/SUCCEEDED: 3 added, 0 already in the catalogue, 0 failed, of 3/);
  });

  it("on Ctrl-C while following a server's job, says the job keeps running there and how to follow or stop it", async () => {
    const ingest = spawnCli(["ingest", many], { env: { MMRAG_URL: server.url } });
    await ingest.waitForStderr(/Ingesting .*\(job [\w-]+\): \d+\/120/);
    ingest.child.kill("SIGINT");
    const run = await ingest.exited;
    expect(run.code).toBe(130);
    const id = /\(job ([\w-]+)\)/.exec(run.stderr)![1];
    expect(run.stderr).toContain(`Stopped following. Job ${id} keeps running on the server.`);
    expect(run.stderr).toContain(`mmrag jobs cancel ${id} --server ${server.url}`);

    const listed = await runCli(["jobs", "--json"], { env: { MMRAG_URL: server.url } });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ id, status: "RUNNING" }));
    const text = await runCli(["jobs"], { env: { MMRAG_URL: server.url } });
    expect(text.stdout).toMatch(new RegExp(`^${id} +RUNNING +\\d+/120 +0 +`, "m"));

    const cancelled = await runCli(["jobs", "cancel", id], { env: { MMRAG_URL: server.url } });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${id}: (CANCELLING|CANCELLED|RUNNING), \\d+ of 120 processed`));
    await expect.poll(async () => (await server.graphql(`query ($id: ID!) { ingestJob(id: $id) { status } }`, { id })).data!.ingestJob.status, { timeout: 30_000 }).toBe("CANCELLED");
  }, 120_000);

  it("draws a bar that fits an 80-column terminal, with the whole count", async () => {
    const run = await runCliInTerminal(["ingest", folder, "--pattern", "photo-*.jpg"], { env: { MMRAG_URL: server.url }, columns: 80 });
    expect(run.code, run.stdout).toBe(0);
    // What the terminal showed, line by line as redrawn: no colours, no cursor moves.
    const shown = run.stdout
      .replace(/\x1b\[\d*G/g, "\r") // back to column 1: a redraw
      .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "")
      .split(/\r\n|\r|\n/);
    // The bar and its label are redrawn in place, so they must fit; the summary is prose the terminal wraps.
    const bar = shown.filter((line) => / \d+% \d+\/\d+ |^Ingesting /.test(line));
    expect(bar.length).toBeGreaterThan(1);
    for (const line of bar) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(shown.some((line) => / 100% 3\/3 .+ 0 failed$/.test(line.trimEnd()))).toBe(true);
    expect(shown.some((line) => line.startsWith(`Ingesting ${folder}`))).toBe(true);
  });

  it("says so when the server cannot be reached", async () => {
    const run = await runCli(["ingest", folder], { env: { MMRAG_URL: "http://127.0.0.1:9" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NETWORK_ERROR.*Is the mmrag server running at http:\/\/127\.0\.0\.1:9/s);
  });
});
