// `models pull` against a loopback HTTP server standing in for the hub: Range resume, sha256 checks,
// offline errors, and MODEL=auto pulling the default model.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { DownloadError, HubUnreachableError, pullModel } from "../../src/model-tooling/pull.js";
import { loadEmbeddingService } from "../../src/services/embedding/index.js";
import { ensureGeneratedModel } from "../support/models.js";
import { silentLogger } from "./support.js";

const REPO = "test-org/tiny-clip";
const REV = "0123456789abcdef0123456789abcdef01234567";

interface FakeHub {
  endpoint: string;
  requests: Array<{ url: string; range?: string }>;
  /** Next response of this path is cut after this many bytes. */
  cutOnce: Map<string, number>;
  corrupt: Set<string>;
  close(): Promise<void>;
}

async function startFakeHub(sourceFolder: string): Promise<FakeHub> {
  const hub: Omit<FakeHub, "endpoint" | "close"> = { requests: [], cutOnce: new Map(), corrupt: new Set() };
  const prefix = `/${REPO}/resolve/${REV}/`;
  const server = http.createServer(async (req, res) => {
    hub.requests.push({ url: req.url!, range: req.headers.range });
    if (!req.url!.startsWith(prefix)) return void res.writeHead(404).end();
    const rel = decodeURIComponent(req.url!.slice(prefix.length));
    let body: Buffer;
    try {
      body = await fs.readFile(path.join(sourceFolder, rel));
    } catch {
      return void res.writeHead(404).end("not found");
    }
    if (hub.corrupt.has(rel)) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m) start = Number(m[1]);
    if (start >= body.length && m) return void res.writeHead(416).end();
    const slice = body.subarray(start);
    res.writeHead(m ? 206 : 200, { "content-length": slice.length, ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    const cut = hub.cutOnce.get(rel);
    if (cut !== undefined) {
      hub.cutOnce.delete(rel);
      res.write(slice.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { ...hub, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

let source: string;
let hub: FakeHub;
const temps: string[] = [];

/** A models dir holding only the manifest of a hub-hosted model (as the repo's committed manifests are). */
async function modelsDirWithManifest(name = "tiny-clip"): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mmrag-pull-"));
  temps.push(dir);
  const manifest = JSON.parse(await fs.readFile(path.join(source, "model.json"), "utf8"));
  manifest.name = name;
  manifest.generator = undefined;
  manifest.hub = { repo: REPO, revision: REV };
  await fs.mkdir(path.join(dir, name));
  await fs.writeFile(path.join(dir, name, "model.json"), JSON.stringify(manifest));
  return dir;
}

beforeAll(async () => {
  source = await ensureGeneratedModel("clip-tiny");
  hub = await startFakeHub(source);
});
afterAll(async () => {
  await hub?.close();
  for (const t of temps) await fs.rm(t, { recursive: true, force: true });
});

describe("models pull", () => {
  it("downloads every file, verifies it, and the folder then loads; a second pull downloads nothing", async () => {
    const modelsDir = await modelsDirWithManifest();
    const progress: number[] = [];
    const folder = await pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint, onProgress: (p) => progress.push(p.done) });
    for (const f of ["onnx/vision_model.onnx", "onnx/text_model.onnx", "tokenizer.json"]) {
      expect((await fs.readFile(path.join(folder, f))).equals(await fs.readFile(path.join(source, f)))).toBe(true);
    }
    expect(progress.length).toBeGreaterThan(0);
    const service = await loadEmbeddingService(loadConfig({ MODELS_DIR: modelsDir, MODEL: "tiny-clip" }).model, { logger: silentLogger });
    expect(service.info).toMatchObject({ name: "tiny-clip", dimension: 48 });
    await service.close();

    const before = hub.requests.length;
    await pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint });
    expect(hub.requests.length).toBe(before);
  });

  it("resumes a cut-off download with a Range request", async () => {
    const modelsDir = await modelsDirWithManifest();
    hub.cutOnce.set("onnx/vision_model.onnx", 100_000);
    await expect(pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint })).rejects.toThrow(/stopped at \d+ bytes.*resume/);
    const part = path.join(modelsDir, "tiny-clip", "onnx/vision_model.onnx.part");
    const partial = (await fs.stat(part)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan((await fs.stat(path.join(source, "onnx/vision_model.onnx"))).size);

    const before = hub.requests.length;
    await pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint });
    const resumed = hub.requests.slice(before).find((r) => r.url.endsWith("vision_model.onnx"));
    expect(resumed?.range).toBe(`bytes=${partial}-`);
    const done = await fs.readFile(path.join(modelsDir, "tiny-clip", "onnx/vision_model.onnx"));
    expect(done.equals(await fs.readFile(path.join(source, "onnx/vision_model.onnx")))).toBe(true);
    await expect(fs.stat(part)).rejects.toThrow();
  });

  it("refuses a file whose sha256 does not match the pin and deletes the partial file", async () => {
    const modelsDir = await modelsDirWithManifest();
    hub.corrupt.add("onnx/text_model.onnx");
    try {
      const err = await pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint }).catch((e) => e);
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.message).toMatch(/text_model\.onnx: sha256 [0-9a-f]{64} does not match the pinned/);
      await expect(fs.stat(path.join(modelsDir, "tiny-clip", "onnx/text_model.onnx"))).rejects.toThrow();
      await expect(fs.stat(path.join(modelsDir, "tiny-clip", "onnx/text_model.onnx.part"))).rejects.toThrow();
    } finally {
      hub.corrupt.delete("onnx/text_model.onnx");
    }
  });

  it("says clearly when the hub cannot be reached", async () => {
    const modelsDir = await modelsDirWithManifest();
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await pullModel("tiny-clip", { modelsDir, endpoint: `http://127.0.0.1:${port}` }).catch((e) => e);
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect(err.message).toMatch(/Could not reach the model hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\. Are you offline\?/);
  });

  it("a 404 names the URL and status", async () => {
    const modelsDir = await modelsDirWithManifest();
    const manifestFile = path.join(modelsDir, "tiny-clip", "model.json");
    const manifest = JSON.parse(await fs.readFile(manifestFile, "utf8"));
    manifest.files.tokenizer.hubPath = "no/such/file.json";
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    await expect(pullModel("tiny-clip", { modelsDir, endpoint: hub.endpoint })).rejects.toThrow(/no\/such\/file\.json answered 404/);
  });

  it("MODEL=auto pulls the default model when the hub has it", async () => {
    const modelsDir = await modelsDirWithManifest("clip-vit-base-patch32");
    const service = await loadEmbeddingService(loadConfig({ MODELS_DIR: modelsDir, MODEL: "auto", HF_ENDPOINT: hub.endpoint }).model, { logger: silentLogger });
    expect(service.info).toMatchObject({ name: "clip-vit-base-patch32", source: "pulled", family: "clip" });
    await service.close();
  });
});
