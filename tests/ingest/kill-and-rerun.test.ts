// The promise users rely on most: kill the server mid-ingest, run the same ingest again, and every
// image is stored exactly once, with no vector lacking its file and no file lacking its vector.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, testEnv } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";

const IMAGES = 80;

async function graphql(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

/** The real entry point in a child process, so it can be killed like a crashed server. */
async function startServerProcess(env: NodeJS.ProcessEnv): Promise<{ url: string; kill: () => void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, ...env, LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      const ready = output.match(/mmrag is ready: .*?(http:\/\/[^/\s"]+)\/graphql/);
      if (ready) resolve(ready[1]);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`server not ready in time:\n${output}`)), 90_000).unref();
  });
  return { url, kill: () => child.kill("SIGKILL") };
}

it("finishes a killed ingest on rerun with every image stored exactly once", async () => {
  const root = await tempDir("mmrag-kill-root-");
  const folder = path.join(root, "catalogue");
  await fs.mkdir(folder);
  const hashes = new Set<string>();
  for (let i = 0; i < IMAGES; i++) {
    const bytes = await makeJpeg(1000 + i, 200, 150);
    hashes.add(createHash("sha256").update(bytes).digest("hex"));
    await fs.writeFile(path.join(folder, `${String(i).padStart(3, "0")}.jpg`), bytes);
  }
  const dataDir = await tempDir();
  const env = await testEnv(dataDir, { INGEST_ROOTS: root, INGEST_CONCURRENCY: "2", INGEST_INSERT_BATCH: "4" });

  const doomed = await startServerProcess(env as NodeJS.ProcessEnv);
  // A second server process on the same database file is refused while the first one lives.
  await expect(startTestServer({ dataDir, env: { INGEST_ROOTS: root } })).rejects.toThrow(/already in use by process \d+ \(another mmrag server\?\)/);
  const started = await graphql(doomed.url, `mutation($path: String!) { ingestFolder(path: $path) { id } }`, { path: folder });
  const firstJob = started.data.ingestFolder.id;
  let processed = 0;
  while (processed < 8) {
    await sleep(20);
    processed = (await graphql(doomed.url, `query($id: ID!) { ingestJob(id: $id) { processed } }`, { id: firstJob })).data.ingestJob.processed;
  }
  doomed.kill();
  expect(processed).toBeLessThan(IMAGES);

  // Same data dir: the stale lock and the orphaned Milvus Lite child are dealt with at start-up.
  const server = await startTestServer({ dataDir, env: { INGEST_ROOTS: root } });
  const old = await server.graphql(`query($id: ID!) { ingestJob(id: $id) { status message } }`, { id: firstJob });
  expect(old.data!.ingestJob.status).toBe("FAILED");
  expect(old.data!.ingestJob.message).toMatch(/Interrupted by a server restart/);

  const rerun = await server.graphql(`mutation($path: String!) { ingestFolder(path: $path) { id } }`, { path: folder });
  const ws = wsClient(server.url);
  const { events } = await collect(ws, `subscription($id: ID!) { ingestProgress(jobId: $id) { status succeeded skipped failed } }`, { id: rerun.data!.ingestFolder.id });
  await ws.dispose();
  const last = events.at(-1).ingestProgress;
  expect(last.status).toBe("SUCCEEDED");
  expect(last.failed).toBe(0);
  expect(last.succeeded + last.skipped).toBe(IMAGES);

  const ids: string[] = [];
  let after: string | null = null;
  do {
    const page: any = await server.graphql(`query($after: String) { images(first: 50, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } }`, { after });
    ids.push(...page.data.images.nodes.map((n: { id: string }) => n.id));
    after = page.data.images.pageInfo.hasNextPage ? page.data.images.pageInfo.endCursor : null;
  } while (after);
  expect(ids).toHaveLength(IMAGES);
  expect(new Set(ids)).toEqual(hashes);

  // Files and vectors agree one to one.
  const originals = (await fs.readdir(path.join(dataDir, "images", "originals"), { recursive: true })).filter((f) => String(f).endsWith(".jpg"));
  expect(originals.map((f) => path.basename(String(f), ".jpg")).sort()).toEqual([...hashes].sort());
  await server.close();
  await fs.rm(root, { recursive: true, force: true });
});
