// `--catalogue <name>` (or MMRAG_CATALOGUE) on ingest, search, similar, stats and jobs, and `mmrag catalogues`,
// as child processes against a real server: work in a second catalogue leaves the default one as it was.
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk } from "../sdk/support.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { runCli } from "./support.js";

let folder: string;
let server: TestServer;
let env: Record<string, string>;

beforeAll(async () => {
  folder = await tempDir("mmrag-cli-catalogue-");
  for (let i = 0; i < 3; i++) await fs.writeFile(path.join(folder, `shoe-${i}.jpg`), await makeJpeg(700 + i));
  [server] = await Promise.all([startTestServer({ env: { INGEST_ROOTS: folder } }), buildSdk()]);
  env = { MMRAG_URL: server.url };
  const created = await server.graphql(`mutation { createCatalogue(name: "shoes") { name } }`);
  expect(created.errors).toBeUndefined();
}, 180_000);
afterAll(async () => {
  await fs.rm(folder, { recursive: true, force: true });
});

const idsIn = async (catalogue: string): Promise<string[]> =>
  (await server.graphql(`query ($catalogue: String) { images(first: 100, catalogue: $catalogue) { nodes { id } } }`, { catalogue })).data!.images.nodes.map((n: { id: string }) => n.id);

describe("mmrag --catalogue", () => {
  it("ingests into the catalogue named, searches it, and leaves the default catalogue untouched", async () => {
    const ingest = await runCli(["ingest", folder, "--catalogue", "shoes", "--json"], { env });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ status: "SUCCEEDED", succeeded: 3, catalogue: "shoes" });
    const shoes = await idsIn("shoes");
    expect(shoes).toHaveLength(3);
    expect(await idsIn("default")).toEqual([]);

    const query = path.join(folder, "shoe-1.jpg");
    const [inShoes, inDefault, byEnv] = await Promise.all([
      runCli(["search", "--image", query, "--text", "the same shoe", "--no-rerank", "--limit", "3", "--catalogue", "shoes", "--json"], { env }),
      runCli(["search", "--image", query, "--text", "the same shoe", "--no-rerank", "--limit", "3"], { env }),
      runCli(["search", "--image", query, "--text", "the same shoe", "--no-rerank", "--limit", "3", "--json"], { env: { ...env, MMRAG_CATALOGUE: "shoes" } }),
    ]);
    expect(inShoes.code, inShoes.stderr).toBe(0);
    const ranking = JSON.parse(inShoes.stdout).ranking.map((hit: { image: { id: string } }) => hit.image.id);
    expect(ranking).toHaveLength(3);
    expect([...ranking].sort()).toEqual([...shoes].sort());
    expect(inDefault.code, inDefault.stderr).toBe(0);
    expect(inDefault.stdout).toContain("No catalogue image matched.");
    expect(JSON.parse(byEnv.stdout).ranking.map((hit: { image: { id: string } }) => hit.image.id)).toEqual(ranking);
  }, 120_000);

  it("similar, stats and jobs read the catalogue named; `mmrag catalogues` lists them", async () => {
    const [shoe] = await idsIn("shoes");
    const [similar, similarInDefault, stats, defaultStats, jobs, defaultJobs, catalogues] = await Promise.all([
      runCli(["similar", shoe.slice(0, 12), "--catalogue", "shoes", "--json"], { env }),
      runCli(["similar", shoe.slice(0, 12)], { env }),
      runCli(["stats", "--catalogue", "shoes"], { env }),
      runCli(["stats", "--json"], { env }),
      runCli(["jobs", "--catalogue", "shoes", "--json"], { env }),
      runCli(["jobs", "--catalogue", "default"], { env }),
      runCli(["catalogues"], { env }),
    ]);
    expect(similar.code, similar.stderr).toBe(0);
    expect(JSON.parse(similar.stdout)).toHaveLength(2);
    // The prefix is looked up in the catalogue asked for: the default one has no such image.
    expect(similarInDefault.code).toBe(1);
    expect(similarInDefault.stderr).toBe(`mmrag: NOT_FOUND: no catalogue image has an id starting with ${shoe.slice(0, 12)}\n`);
    expect(stats.stdout).toMatch(/^Images: {2}3 in the catalogue "shoes"\n/);
    expect(JSON.parse(defaultStats.stdout).images).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual([expect.objectContaining({ kind: "folder", catalogue: "shoes", succeeded: 3 })]);
    expect(defaultJobs.stdout).toBe('No ingest jobs into the catalogue "default".\n');
    expect(catalogues.code, catalogues.stderr).toBe(0);
    const rows = catalogues.stdout.split("\n");
    expect(rows[0]).toMatch(/^name\s+images\s+model\s+collection$/);
    expect(rows[2]).toMatch(/^default\s+0\s/);
    expect(rows[3]).toMatch(/^shoes\s+3\s/);
    for (const line of rows) expect(line.length).toBeLessThanOrEqual(80);
  }, 120_000);

  it("answers an unknown catalogue with the server's NOT_FOUND, in one line, exit 1", async () => {
    const runs = await Promise.all([
      runCli(["ingest", folder, "--catalogue", "boots"], { env }),
      runCli(["search", "--image", path.join(folder, "shoe-0.jpg"), "--text", "x", "--no-rerank", "--catalogue", "boots"], { env }),
      runCli(["stats"], { env: { ...env, MMRAG_CATALOGUE: "boots" } }),
      runCli(["jobs", "--catalogue", "boots"], { env }),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('mmrag: NOT_FOUND: Catalogue "boots" was not found\n');
    }
    expect(await idsIn("default")).toEqual([]);
  }, 120_000);
});
