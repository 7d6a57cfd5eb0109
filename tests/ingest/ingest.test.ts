// Catalogue ingest as users drive it: uploads and folders, followed live over graphql-ws.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const JOB_FIELDS = "id status kind total processed succeeded skipped failed errors { item code message } imagesPerSecond etaSeconds message startedAt finishedAt";
const PROGRESS = `subscription($jobId: ID!) { ingestProgress(jobId: $jobId) { ${JOB_FIELDS} } }`;
const INGEST_IMAGES = `mutation($files: [Upload!]!, $metadata: [JSONObject]) { ingestImages(files: $files, metadata: $metadata) { ${JOB_FIELDS} } }`;
const INGEST_FOLDER = `mutation($path: String!, $recursive: Boolean, $pattern: String) { ingestFolder(path: $path, recursive: $recursive, pattern: $pattern) { ${JOB_FIELDS} } }`;

let server: TestServer;
let root: string;
let outside: string;
const client = () => wsClient(server.url);

beforeAll(async () => {
  root = await tempDir("mmrag-ingest-root-");
  outside = await tempDir("mmrag-outside-");
  server = await startTestServer({ env: { INGEST_ROOTS: root, INGEST_CONCURRENCY: "4" } });
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

async function uploadBatch(files: Array<{ bytes: Buffer; name: string }>, metadata?: unknown[]) {
  // One multipart part per file, mapped to variables.files.N as the multipart request spec says.
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: INGEST_IMAGES, variables: { metadata, files: files.map(() => null) } }));
  form.append("map", JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
  files.forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.bytes)]), f.name));
  const res = await fetch(`${server.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
  return (await res.json()) as { data?: any; errors?: any[] };
}

describe("ingestImages", () => {
  it("stops the job with a typed message when the image store cannot be written, instead of failing every item", async () => {
    const store = await startTestServer({ env: { INGEST_CONCURRENCY: "2" } });
    try {
      // A file where the originals folder should be: no write can succeed (chmod would not stop root).
      const images = path.join(store.dataDir, "images");
      await fs.mkdir(images, { recursive: true });
      await fs.writeFile(path.join(images, "originals"), "not a folder");
      const files = await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ bytes: await makeJpeg(600 + i), name: `s${i}.jpg` })));
      const form = new FormData();
      form.append("operations", JSON.stringify({ query: INGEST_IMAGES, variables: { files: files.map(() => null) } }));
      form.append("map", JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
      files.forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.bytes)]), f.name));
      const res = await fetch(`${store.url}/graphql`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
      const job = ((await res.json()) as any).data.ingestImages;
      const { events } = await collect(wsClient(store.url), PROGRESS, { jobId: job.id });
      const final = events.at(-1).ingestProgress;
      expect(final.status).toBe("FAILED");
      expect(final.message).toMatch(/^Stopped: Cannot write to the image store .*: (ENOTDIR|EEXIST)/);
      expect(final.errors.length).toBeGreaterThan(0);
      for (const e of final.errors) expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
      // At most the items already in flight fail; the rest are left for a rerun.
      expect(final.failed).toBeLessThanOrEqual(2);
      expect(final.processed).toBeLessThan(12);
    } finally {
      await store.close();
    }
  });

  it("reports each item of a mixed batch, streams ordered progress, and ends with the stored job's state", async () => {
    const valid = await makeJpeg(101);
    const other = await makeJpeg(102);
    const corrupt = valid.subarray(0, Math.floor(valid.length / 3));
    const started = await uploadBatch(
      [
        { bytes: valid, name: "valid.jpg" },
        { bytes: corrupt, name: "corrupt.jpg" },
        { bytes: Buffer.from("%PDF-1.4 not an image"), name: "notes.pdf" },
        { bytes: valid, name: "duplicate.jpg" },
        { bytes: other, name: "other.jpg" },
      ],
      [{ title: "valid" }, null, null, { title: "dup" }, { title: "other" }],
    );
    expect(started.errors).toBeUndefined();
    const job = started.data.ingestImages;
    expect(job).toMatchObject({ kind: "upload", total: 5 });

    const ws = client();
    const { events, errors } = await collect(ws, PROGRESS, { jobId: job.id });
    await ws.dispose();
    expect(errors).toEqual([]);
    const states = events.map((e: any) => e.ingestProgress);
    expect(states.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < states.length; i++) expect(states[i].processed).toBeGreaterThanOrEqual(states[i - 1].processed);
    const last = states.at(-1);
    expect(last).toMatchObject({ status: "PARTIAL", total: 5, processed: 5, succeeded: 2, skipped: 1, failed: 2, etaSeconds: 0 });
    expect(last.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ item: "corrupt.jpg", code: "UNSUPPORTED_MEDIA_TYPE" }),
        expect.objectContaining({ item: "notes.pdf", code: "UNSUPPORTED_MEDIA_TYPE" }),
      ]),
    );
    expect(last.finishedAt).not.toBeNull();

    const stored = await server.graphql(`query($id: ID!) { ingestJob(id: $id) { ${JOB_FIELDS} } }`, { id: job.id });
    expect(stored.data!.ingestJob).toEqual(last);
    const list = await server.graphql(`{ images(first: 10) { totalCount nodes { metadata } } }`);
    expect(list.data!.images.totalCount).toBe(2);
    const titles: string[] = list.data!.images.nodes.map((n: any) => n.metadata.title);
    // The same bytes came twice; whichever copy got there first is the one stored.
    expect(titles).toContain("other");
    expect(["valid", "dup"]).toContain(titles.find((t) => t !== "other"));
  });

  it("sends the current state at once to a late subscriber, then completes", async () => {
    const started = await uploadBatch([{ bytes: await makeJpeg(103), name: "late.jpg" }]);
    const id = started.data.ingestImages.id;
    for (let i = 0; i < 100; i++) {
      const res = await server.graphql(`query($id: ID!) { ingestJob(id: $id) { status } }`, { id });
      if (res.data!.ingestJob.status === "SUCCEEDED") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ws = client();
    const { events } = await collect(ws, PROGRESS, { jobId: id });
    await ws.dispose();
    expect(events).toHaveLength(1);
    expect(events[0].ingestProgress).toMatchObject({ status: "SUCCEEDED", succeeded: 1 });
  });

  it("answers an unknown job id with NOT_FOUND on the subscription", async () => {
    const ws = client();
    const { events, errors } = await collect(ws, PROGRESS, { jobId: "00000000-0000-0000-0000-000000000000" });
    await ws.dispose();
    expect(events).toEqual([]);
    expect((errors[0] as any).extensions?.code).toBe("NOT_FOUND");
  });
});

describe("ingestFolder", () => {
  it("reads images and their sidecar JSON from a folder under INGEST_ROOTS", async () => {
    const folder = path.join(root, "catalogue");
    await fs.mkdir(path.join(folder, "nested"), { recursive: true });
    await fs.writeFile(path.join(folder, "a.jpg"), await makeJpeg(201));
    await fs.writeFile(path.join(folder, "a.json"), JSON.stringify({ title: "Leopard case", price: 12 }));
    await fs.writeFile(path.join(folder, "nested", "b.JPG"), await makeJpeg(202));
    await fs.writeFile(path.join(folder, "readme.txt"), "not matched by the pattern");

    const started = await server.graphql(INGEST_FOLDER, { path: folder });
    expect(started.errors).toBeUndefined();
    expect(started.data!.ingestFolder.total).toBe(2);
    const ws = client();
    const { events } = await collect(ws, PROGRESS, { jobId: started.data!.ingestFolder.id });
    await ws.dispose();
    expect(events.at(-1).ingestProgress).toMatchObject({ status: "SUCCEEDED", succeeded: 2, failed: 0 });
    const found = await server.graphql(`{ images(first: 10, filter: { metadata: { title: "Leopard case" } }) { nodes { metadata } } }`);
    expect(found.data!.images.nodes).toEqual([{ metadata: { title: "Leopard case", price: 12 } }]);
  });

  it("refuses folders outside the roots, by path, by '..' and by symlink, with FORBIDDEN", async () => {
    await fs.writeFile(path.join(outside, "secret.jpg"), await makeJpeg(301));
    await fs.symlink(outside, path.join(root, "link-out"));
    for (const p of [outside, path.join(root, "..", path.basename(outside)), path.join(root, "link-out")]) {
      const res = await server.graphql(INGEST_FOLDER, { path: p });
      expect(res.errors?.[0].extensions?.code, p).toBe("FORBIDDEN");
    }
  });

  it("stops a cancelled job after the items in flight and reports CANCELLED", async () => {
    const folder = path.join(root, "many");
    await fs.mkdir(folder);
    for (let i = 0; i < 60; i++) await fs.writeFile(path.join(folder, `${i}.jpg`), await makeJpeg(400 + i, 160, 120));
    const started = await server.graphql(INGEST_FOLDER, { path: folder });
    const id = started.data!.ingestFolder.id;
    const cancelled = await server.graphql(`mutation($id: ID!) { cancelIngestJob(id: $id) { status processed total message } }`, { id });
    expect(cancelled.data!.cancelIngestJob).toMatchObject({ status: "CANCELLED", total: 60 });
    expect(cancelled.data!.cancelIngestJob.processed).toBeLessThan(60);
    const count = (await server.graphql(`{ stats { images } }`)).data!.stats.images;
    const again = await server.graphql(INGEST_FOLDER, { path: folder });
    const ws = client();
    const { events } = await collect(ws, PROGRESS, { jobId: again.data!.ingestFolder.id });
    await ws.dispose();
    const last = events.at(-1).ingestProgress;
    expect(last.status).toBe("SUCCEEDED");
    expect(last.succeeded + last.skipped).toBe(60);
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(count + last.succeeded);
  });
});
