// Start-up, restart, crash and shutdown behaviour of the server and its embedded Milvus Lite.
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { isAlive } from "../../src/services/db-file-lock.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, testEnv } from "../support/server.js";

const ADD = `mutation($file: Upload!) { addImage(file: $file) { image { id } } }`;

describe("the embedded Milvus Lite", () => {
  it("keeps the catalogue across a server restart on the same data dir", async () => {
    const first = await startTestServer();
    const added = await first.upload(ADD, {}, { file: { bytes: await makeJpeg(1), name: "a.jpg" } });
    const id = added.data!.addImage.image.id;
    await first.close();
    // What a crash between storing the files and writing the vector leaves behind.
    const orphan = path.join(first.dataDir, "images", "originals", "ab", `ab${"0".repeat(62)}.jpg`);
    fs.mkdirSync(path.dirname(orphan), { recursive: true });
    fs.writeFileSync(orphan, await makeJpeg(9));

    const second = await startTestServer({ dataDir: first.dataDir });
    expect(fs.existsSync(orphan)).toBe(false);
    const res = await second.graphql(`query($id: ID!) { image(id: $id) { id } } `, { id });
    expect(res.data!.image).toEqual({ id });
    expect((await second.graphql(`{ stats { images backend collection } }`)).data!.stats).toEqual({
      images: 1,
      backend: "milvus-lite",
      collection: "mmrag_images",
    });
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    await second.close();
  });

  it("fails requests fast while Milvus Lite is down, restarts it, and serves the same data again", async () => {
    const server = await startTestServer();
    await server.upload(ADD, {}, { file: { bytes: await makeJpeg(2), name: "b.jpg" } });
    const lite = server.app.services.vectors.liteProcess!;
    const firstPid = lite.pid!;
    const down = new Promise((resolve) => lite.once("down", resolve));
    process.kill(firstPid, "SIGKILL");
    await down;

    // While it is down or restarting: a clear UPSTREAM_UNAVAILABLE, not a hang.
    const started = Date.now();
    const during = await server.graphql(`{ stats { images } }`);
    if (during.errors) {
      expect(during.errors[0].extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", service: "milvus" });
    }
    expect(Date.now() - started).toBeLessThan(5000);

    let images: number | undefined;
    for (let i = 0; i < 100 && images === undefined; i++) {
      const res = await server.graphql(`{ stats { images } }`);
      images = res.data?.stats.images;
      if (images === undefined) await sleep(100);
    }
    expect(images).toBe(1);
    expect(lite.pid).not.toBe(firstPid);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await server.close();
  });

  it("stops its Milvus Lite child and releases the database lock on close", async () => {
    const server = await startTestServer();
    const pid = server.app.services.vectors.liteProcess!.pid!;
    const lockFile = path.join(server.dataDir, "milvus.db.lock");
    expect(fs.existsSync(lockFile)).toBe(true);
    await server.close();
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it("refuses a second server on the same database file with a clear message", async () => {
    const first = await startTestServer();
    const config = loadConfig(await testEnv(first.dataDir));
    const attempt = createApp(config);
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/already in use by process \d+/);
    // The first server is unharmed.
    expect((await first.graphql(`{ stats { images } }`)).data!.stats.images).toBe(0);
    await first.close();
  });

  it("takes over from a crashed server: a stale lock and an orphaned Milvus child are cleaned up", async () => {
    const dataDir = await tempDir();
    const lockFile = path.join(dataDir, "milvus.db.lock");
    // A lock left by a process that no longer exists.
    fs.writeFileSync(lockFile, JSON.stringify({ pid: 2 ** 22 + 12345, dbPath: path.join(dataDir, "milvus.db") }));
    const server = await startTestServer({ dataDir });
    expect(JSON.parse(fs.readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    await server.close();
  });
});

describe("start-up checks", () => {
  // Until reindex existed, this refused to start (ConfigError). Now the catalogue keeps the model that built it
  // and the log names both models and the reindex that moves it; tests/server/reindex.test.ts covers the case
  // where that model is gone (searches fail with NOT_SUPPORTED naming the fix).
  it("starts when MODEL has another vector dimension, serving the catalogue with the model that built it and saying how to move it", async () => {
    const first = await startTestServer();
    const built = first.app.services.embedder.info;
    await first.close();

    const env = await testEnv(first.dataDir, { TEST_MODEL: "clip-tiny" });
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
    const app = await createApp(loadConfig(env), { logger });
    try {
      const configured = app.services.embedder.info;
      expect(configured.dimension).not.toBe(built.dimension);
      expect(app.services.catalogues.default.model).toMatchObject({ name: built.name, dimension: built.dimension });
      expect(app.services.catalogues.default.problem).toBeUndefined();
      const warning = lines.map((line) => JSON.parse(line).msg as string).find((msg) => msg.includes("reindex("));
      expect(warning).toContain(`served by the model "${built.name}"`);
      expect(warning).toContain(`MODEL is "${configured.name}"`);
      expect(warning).toContain(`reindex(catalogue: "default", model: "${configured.name}")`);
    } finally {
      await app.close();
    }
  });

  it("explains invalid settings in one message naming each variable", () => {
    expect(() => loadConfig({ PORT: "http", MILVUS_INDEX: "HNSW2" })).toThrow(/PORT[\s\S]*MILVUS_INDEX/);
    expect(() => loadConfig({ MILVUS_INDEX: "HNSW" })).toThrow(/not supported by Milvus Lite/);
    expect(() => loadConfig({ MILVUS_URI: "grpc://x:19530" })).toThrow(/local file path .* or an http\(s\):\/\/ address/);
  });

  it("reads a local file MILVUS_URI as embedded Lite and an http URI as a server", () => {
    const lite = loadConfig({ DATA_DIR: "/tmp/x" });
    expect(lite.milvus).toMatchObject({ mode: "lite", liteDbPath: "/tmp/x/milvus.db", index: { type: "FLAT" } });
    const remote = loadConfig({ MILVUS_URI: "https://in01.example.zillizcloud.com", MILVUS_TOKEN: "secret" });
    expect(remote.milvus).toMatchObject({ mode: "remote", address: "https://in01.example.zillizcloud.com", token: "secret", index: { type: "AUTOINDEX" } });
    expect(remote.milvus.liteDbPath).toBeUndefined();
  });
});
