// `mmrag demo` as a child process: the sample set from a loopback host loaded into a real server, the search it
// suggests, a second run that reuses the download, and the offline and unanswered cases (no hang).
import fs from "node:fs/promises";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { buildSdk } from "../sdk/support.js";
import { startSampleServer, type SampleServer } from "./sample-server.js";
import { runCli } from "./support.js";

let server: TestServer;
let samples: SampleServer;
let dir: string;
let demoDir: string;

beforeAll(async () => {
  dir = await tempDir("mmrag-cli-demo-");
  demoDir = path.join(dir, "demo");
  [server, samples] = await Promise.all([startTestServer({ env: { INGEST_CONCURRENCY: "2" } }), startSampleServer(path.join(dir, "host"), 7), buildSdk()]);
}, 180_000);

afterAll(async () => {
  await samples?.close();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const urls = () => ["--data-url", `${samples.url}/data/amazon_reviews_2023_subset.tar.gz`, "--query-url", `${samples.url}/data/leopard.jpg`];

describe("mmrag demo", () => {
  it("downloads the sample set, loads it, and prints a search that works", async () => {
    const run = await runCli(["demo", "--dir", demoDir, ...urls(), "--server", server.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("The sample catalogue is loaded: 7 added, 0 already there, 0 failed, of 7.");
    const leopard = path.join(demoDir, "leopard.jpg");
    expect(run.stdout).toContain(`  mmrag search --image ${leopard} --text 'phone case with this image theme' --server ${server.url}\n`);
    expect(run.stdout).toContain(`open ${server.url}/ in a browser`);
    expect(run.stdout).toContain("Note: Model \"generated-vbge-tiny\" is GENERATED");
    // The query image stays out of the catalogue; the README in the archive is not an image.
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(7);
    expect(await fs.readdir(path.join(demoDir, "catalogue", "images_folder", "images"))).toHaveLength(7);

    const search = await runCli(["search", "--image", leopard, "--text", "phone case with this image theme", "--server", server.url, "--no-panorama"]);
    expect(search.code).toBe(0);
    expect(search.stdout).toMatch(/^rank\s+score\s+id\s+title$/m);
  });

  it("reuses the download on a second run, and the catalogue keeps one copy of each image", async () => {
    const before = samples.requests.length;
    const run = await runCli(["demo", "--dir", demoDir, ...urls(), "--server", server.url, "--json"]);
    expect(run.code).toBe(0);
    expect(samples.requests.length).toBe(before);
    expect(JSON.parse(run.stdout)).toMatchObject({ total: 7, succeeded: 0, skipped: 7, failed: 0, queryImage: path.join(demoDir, "leopard.jpg"), instruction: "phone case with this image theme" });
  });

  it("offline, says what to do instead, at once", async () => {
    const closed = `http://127.0.0.1:${await closedPort()}/data/amazon_reviews_2023_subset.tar.gz`;
    const run = await runCli(["demo", "--dir", path.join(dir, "offline"), "--data-url", closed, "--server", server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`mmrag demo: Could not download ${closed} (ECONNREFUSED).`);
    expect(run.stderr).toContain("mmrag ingest ./my-images");
    expect(run.stderr).toContain(`copy both files into ${path.join(dir, "offline")}`);
    expect(run.ms).toBeLessThan(15_000);
  });

  it("gives up on a host that never answers after --timeout", async () => {
    const run = await runCli(["demo", "--dir", path.join(dir, "hang"), "--data-url", `${samples.url}/hang`, "--timeout", "1000", "--server", server.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Could not download ${samples.url}/hang (timed out).`);
    expect(run.ms).toBeLessThan(15_000);
  });
});
