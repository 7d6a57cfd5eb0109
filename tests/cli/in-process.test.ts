// With no --server and no MMRAG_URL, the CLI opens the local data dir itself (createApp on a private
// loopback port): demo, search and stats in turn on one DATA_DIR, and a clear message while a server holds it.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tempDir, testEnv } from "../support/server.js";
import { buildSdk } from "../sdk/support.js";
import { startSampleServer, type SampleServer } from "./sample-server.js";
import { runCli } from "./support.js";

let dir: string;
let env: Record<string, string | undefined>;
let samples: SampleServer;

beforeAll(async () => {
  dir = await tempDir("mmrag-cli-local-");
  [env, samples] = await Promise.all([testEnv(path.join(dir, "data")), startSampleServer(path.join(dir, "host"), 5), buildSdk()]);
}, 180_000);

afterAll(async () => {
  await samples?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("the CLI without a server", () => {
  it("loads the demo set, searches it and reports stats on the local data dir", async () => {
    const demo = await runCli(["demo", "--data-url", `${samples.url}/data/amazon_reviews_2023_subset.tar.gz`, "--query-url", `${samples.url}/data/leopard.jpg`], { env, timeoutMs: 120_000 });
    expect(demo.stderr).not.toMatch(/"level":[3-9]0/);
    expect(demo.code, demo.stderr + demo.stdout).toBe(0);
    expect(demo.stdout).toContain("The sample catalogue is loaded: 5 added");
    const leopard = path.join(dir, "data", "demo", "leopard.jpg");
    expect(demo.stdout).toContain(`  mmrag search --image ${leopard} --text 'phone case with this image theme'\n`);

    const search = await runCli(["search", "--image", leopard, "--text", "phone case with this image theme", "--json", "--panorama", path.join(dir, "p.jpg")], { env, timeoutMs: 120_000 });
    expect(search.code).toBe(0);
    const result = JSON.parse(search.stdout);
    expect(result.ranking).toHaveLength(5);
    // No OPENAI_API_KEY here: the vector order, and the reason.
    expect(result.reranked).toBe(false);
    expect(result.rerankError).toBeTruthy();
    expect(result.ranking[0].image.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/images\//);

    const stats = await runCli(["stats", "--json"], { env, timeoutMs: 120_000 });
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ images: 5 });
  });

  it("with MODEL=auto and no reachable hub, tries the hub once, not on every run, and prints no log lines", async () => {
    // A model hub that answers every request with 503, and counts them.
    let hubRequests = 0;
    const hub = http.createServer((_req, res) => {
      hubRequests++;
      res.writeHead(503).end("down");
    });
    await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve));
    try {
      const hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
      const autoEnv = { ...env, DATA_DIR: path.join(dir, "auto-data"), MODEL: "auto", MODELS_DIR: path.join(dir, "auto-models"), HF_ENDPOINT: hubUrl };
      const first = await runCli(["stats", "--json"], { env: autoEnv, timeoutMs: 120_000 });
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).model).toMatchObject({ source: "generated-demo", generated: true });
      expect(hubRequests).toBeGreaterThan(0);
      const afterFirst = hubRequests;

      const second = await runCli(["stats", "--json"], { env: autoEnv, timeoutMs: 120_000 });
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout).model).toMatchObject({ source: "generated-demo" });
      expect(hubRequests).toBe(afterFirst);
      // No JSON log lines on the terminal: the warning is in the output itself (stats says it, ingest sums it up).
      expect(second.stderr).not.toMatch(/"level":/);
    } finally {
      hub.close();
    }
  }, 180_000);

  it("says how to reach the server that holds the data dir", async () => {
    const dataDir = path.join(dir, "busy");
    const server = await startTestServer({ dataDir });
    try {
      const run = await runCli(["stats"], { env: await testEnv(dataDir), timeoutMs: 120_000 });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`mmrag: Could not open the local catalogue in ${dataDir}: `);
      expect(run.stderr).toContain("To use a running server instead, pass --server http://127.0.0.1:4000 or set MMRAG_URL.");
    } finally {
      await server.close();
    }
  });
});
