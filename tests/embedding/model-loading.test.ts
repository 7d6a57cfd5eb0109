// Model folders: manifests, missing or corrupt files, MODEL=auto falling back to a demo model,
// and generated folders that are safe to create from parallel workers.
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { ensureGeneratedModelIn, GENERATOR_VERSION } from "../../src/model-tooling/generate/index.js";
import { readManifest } from "../../src/model-tooling/manifest.js";
import { loadEmbeddingService } from "../../src/services/embedding/index.js";
import { ensureGeneratedModel } from "../support/models.js";
import { silentLogger } from "./support.js";

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mmrag-models-"));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of temps) await fs.rm(dir, { recursive: true, force: true });
});

async function copyOfTinyModel(): Promise<{ modelsDir: string; folder: string }> {
  const modelsDir = await tempDir();
  const folder = path.join(modelsDir, "my-model");
  await fs.cp(await ensureGeneratedModel("vbge-tiny"), folder, { recursive: true });
  return { modelsDir, folder };
}

const load = (modelsDir: string, name: string, env: Record<string, string> = {}) =>
  loadEmbeddingService(loadConfig({ MODELS_DIR: modelsDir, MODEL: name, ...env }).model, { logger: silentLogger });

describe("model folders", () => {
  it("a folder without model.json fails with ConfigError naming the file and the pull command", async () => {
    const modelsDir = await tempDir();
    const err = await load(modelsDir, "clip-vit-base-patch32").catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(path.join(modelsDir, "clip-vit-base-patch32", "model.json"));
    expect(err.message).toContain("npm run mmrag -- models pull clip-vit-base-patch32");
  });

  it("a missing graph file is named exactly", async () => {
    const { modelsDir, folder } = await copyOfTinyModel();
    await fs.rm(path.join(folder, "text.onnx"));
    const err = await load(modelsDir, "my-model").catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`text: ${path.join(folder, "text.onnx")} is missing`);
    expect(err.message).toContain("npm run mmrag -- models pull generated-vbge-tiny");
  });

  it("a corrupted file of the right size fails its sha256 check", async () => {
    const { modelsDir, folder } = await copyOfTinyModel();
    const file = path.join(folder, "composed.onnx");
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 10] ^= 0xff;
    await fs.writeFile(file, bytes);
    await expect(load(modelsDir, "my-model")).rejects.toThrow(/composed\.onnx has sha256 [0-9a-f]{64}, the manifest expects/);
  });

  it("an invalid manifest lists what is wrong", async () => {
    const { modelsDir, folder } = await copyOfTinyModel();
    const manifest = JSON.parse(await fs.readFile(path.join(folder, "model.json"), "utf8"));
    manifest.dimension = -1;
    await fs.writeFile(path.join(folder, "model.json"), JSON.stringify(manifest));
    const err = await load(modelsDir, "my-model").catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/dimension/);
  });

  it("a manifest missing what its family needs, or naming no family we run, says which", async () => {
    const { modelsDir, folder } = await copyOfTinyModel();
    const manifest = JSON.parse(await fs.readFile(path.join(folder, "model.json"), "utf8"));
    await fs.writeFile(path.join(folder, "model.json"), JSON.stringify({ ...manifest, graphs: { text: manifest.graphs.text }, imageTokens: undefined }));
    const missing = await load(modelsDir, "my-model").catch((e) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toMatch(/graphs\.composed is required for family visualized-bge; imageTokens is required/);
    await fs.writeFile(path.join(folder, "model.json"), JSON.stringify({ ...manifest, family: "siglip" }));
    await expect(load(modelsDir, "my-model")).rejects.toThrow(/family "siglip" is not one we run \(visualized-bge, clip\)/);
  });

  it("refuses to start when a graph disagrees with model.json, naming the input or output", async () => {
    const { modelsDir, folder } = await copyOfTinyModel();
    const manifest = JSON.parse(await fs.readFile(path.join(folder, "model.json"), "utf8"));
    await fs.writeFile(path.join(folder, "model.json"), JSON.stringify({ ...manifest, dimension: manifest.dimension + 1 }));
    const wrongDimension = await load(modelsDir, "my-model").catch((e) => e);
    expect(wrongDimension).toBeInstanceOf(ConfigError);
    expect(wrongDimension.message).toContain(`output "embeddings" has shape [batch, ${manifest.dimension}]; model.json and the family need [batch, ${manifest.dimension + 1}]`);
    const renamed = { ...manifest.graphs.composed, inputs: { ...manifest.graphs.composed.inputs, pixelValues: "images" } };
    await fs.writeFile(path.join(folder, "model.json"), JSON.stringify({ ...manifest, graphs: { ...manifest.graphs, composed: renamed } }));
    const wrongName = await load(modelsDir, "my-model").catch((e) => e);
    expect(wrongName.message).toMatch(/composed\.onnx does not match its model\.json:/);
    expect(wrongName.message).toContain('no input "images"');
    expect(wrongName.message).toContain('input "pixel_values" is not one model.json feeds');
  });

  it("the committed CLIP manifest is valid and pins the hub files", async () => {
    const manifest = await readManifest(path.resolve("models/clip-vit-base-patch32"));
    expect(manifest).toMatchObject({ family: "clip", dimension: 512, generated: false, hub: { repo: "Xenova/clip-vit-base-patch32", revision: "d15189d7028b43f1d3e65039190477f6af591c2a" } });
    expect(manifest.files.vision).toMatchObject({ bytes: 89_117_001, sha256: "583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299" });
  });
});

describe("MODEL=auto", () => {
  it("falls back to a generated demo model, loudly, when the hub cannot be reached", async () => {
    // A server that accepts and immediately drops connections stands in for "offline".
    const server = http.createServer((req) => req.socket.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const modelsDir = await tempDir();
    const lines: string[] = [];
    const logger = (await import("pino")).pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    try {
      const started = Date.now();
      const service = await loadEmbeddingService(
        loadConfig({ MODELS_DIR: modelsDir, MODEL: "auto", HF_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }).model,
        { logger },
      );
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(service.info).toMatchObject({ name: "generated-vbge-tiny", source: "generated-demo", generated: true, family: "visualized-bge" });
      expect(service.info.warning).toMatch(/GENERATED demo model.*NO meaning/);
      expect(lines.some((l) => JSON.parse(l).level === 40 && JSON.parse(l).msg === service.info.warning)).toBe(true);
      expect(await fs.stat(path.join(modelsDir, ".generated", "generated-vbge-tiny", "model.json"))).toBeTruthy();
      await service.close();
    } finally {
      server.close();
    }
  });

  it("uses a complete clip-vit-base-patch32 folder when there is one", async () => {
    const modelsDir = await tempDir();
    await fs.cp(await ensureGeneratedModel("clip-tiny"), path.join(modelsDir, "clip-vit-base-patch32"), { recursive: true });
    const service = await load(modelsDir, "auto", { HF_ENDPOINT: "http://127.0.0.1:9" });
    expect(service.info).toMatchObject({ family: "clip", source: "folder" });
    await service.close();
  });
});

describe("generated model folders", () => {
  it("parallel callers get one complete folder; a stale generator version is regenerated", async () => {
    const parent = await tempDir();
    const folders = await Promise.all([1, 2, 3].map(() => ensureGeneratedModelIn(parent, "clip-tiny")));
    expect(new Set(folders).size).toBe(1);
    expect((await fs.readdir(parent)).filter((f) => f.startsWith("."))).toEqual([]);
    const manifestFile = path.join(folders[0], "model.json");
    const manifest = JSON.parse(await fs.readFile(manifestFile, "utf8"));
    expect(manifest.generator.version).toBe(GENERATOR_VERSION);
    const firstBytes = await fs.readFile(path.join(folders[0], "onnx/vision_model.onnx"));

    manifest.generator.version = GENERATOR_VERSION - 1;
    await fs.writeFile(manifestFile, JSON.stringify(manifest));
    await ensureGeneratedModelIn(parent, "clip-tiny");
    expect(JSON.parse(await fs.readFile(manifestFile, "utf8")).generator.version).toBe(GENERATOR_VERSION);
    // Seeded weights: regeneration writes the very same bytes.
    expect((await fs.readFile(path.join(folders[0], "onnx/vision_model.onnx"))).equals(firstBytes)).toBe(true);
  });
});
