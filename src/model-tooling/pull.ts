// Downloads a model folder's files from a Hugging Face-compatible hub:
// `${endpoint}/${repo}/resolve/${revision}/${path}`, resumable through `.part` files and HTTP Range,
// each file checked against the manifest's size and sha256 before it is renamed into place.
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.js";
import { sha256File } from "./hash-file.js";
import { MANIFEST_FILE, readManifest, type ModelManifest } from "./manifest.js";
import { REPO_ROOT } from "./repo-paths.js";

/** The public model MODEL=auto uses; its manifest is committed under models/. */
export const DEFAULT_MODEL = "clip-vit-base-patch32";

export class HubUnreachableError extends Error {
  constructor(endpoint: string, cause: string) {
    super(`Could not reach the model hub at ${endpoint} (${cause}). Are you offline? Set HF_ENDPOINT to a mirror, or copy the files into the model folder by hand.`);
    this.name = "HubUnreachableError";
  }
}

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadError";
  }
}

export interface PullProgress {
  file: string;
  done: number;
  total: number | undefined;
}

export interface PullOptions {
  modelsDir: string;
  endpoint: string;
  logger?: Logger;
  onProgress?: (p: PullProgress) => void;
  /** Give up when no response headers (or no body bytes) arrive for this long. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/** Manifests we know how to pull: the ones committed under the repo's models/ folder. */
export async function knownManifest(name: string, modelsDir: string): Promise<{ manifest: ModelManifest; from: string }> {
  for (const folder of [path.join(modelsDir, name), path.join(REPO_ROOT, "models", name)]) {
    if (fs.existsSync(path.join(folder, MANIFEST_FILE))) return { manifest: await readManifest(folder), from: folder };
  }
  throw new DownloadError(`No manifest for a model named "${name}" (looked in ${modelsDir}/${name} and ${REPO_ROOT}/models/${name})`);
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

async function sizeOf(file: string): Promise<number> {
  return fsp.stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

interface DownloadTarget {
  url: string;
  dest: string;
  bytes?: number;
  sha256?: string;
}

/** One file, resumed from `${dest}.part` when the server honours Range. */
export async function downloadFile(target: DownloadTarget, options: Pick<PullOptions, "endpoint" | "onProgress" | "connectTimeoutMs" | "idleTimeoutMs">): Promise<void> {
  const part = `${target.dest}.part`;
  await fsp.mkdir(path.dirname(target.dest), { recursive: true });
  let start = await sizeOf(part);
  if (target.bytes !== undefined && start > target.bytes) {
    await fsp.rm(part, { force: true });
    start = 0;
  }
  const complete = target.bytes !== undefined && start === target.bytes;
  if (!complete) {
    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(), options.connectTimeoutMs ?? 15_000);
    let response: Response;
    try {
      response = await fetch(target.url, { headers: start > 0 ? { range: `bytes=${start}-` } : {}, signal: controller.signal, redirect: "follow" });
    } catch (err) {
      clearTimeout(timer);
      throw new HubUnreachableError(options.endpoint, describeFetchError(err));
    }
    if (response.status === 416 && start > 0) {
      // Nothing left to send: the part file is already whole.
      clearTimeout(timer);
      await response.body?.cancel();
    } else {
      if (response.status !== 200 && response.status !== 206) {
        clearTimeout(timer);
        await response.body?.cancel();
        throw new DownloadError(`GET ${target.url} answered ${response.status} ${response.statusText}`);
      }
      if (response.status === 200) start = 0; // the server ignored Range: start over
      const lengthHeader = Number(response.headers.get("content-length"));
      const total = target.bytes ?? (Number.isFinite(lengthHeader) && lengthHeader > 0 ? start + lengthHeader : undefined);
      const out = fs.createWriteStream(part, { flags: start > 0 ? "a" : "w" });
      let done = start;
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          clearTimeout(timer);
          timer = setTimeout(() => controller.abort(), options.idleTimeoutMs ?? 60_000);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
          done += chunk.length;
          options.onProgress?.({ file: target.dest, done, total });
        }
      } catch (err) {
        throw new DownloadError(`Download of ${target.url} stopped at ${done} bytes (${describeFetchError(err)}); run the same command again to resume.`);
      } finally {
        clearTimeout(timer);
        await new Promise<void>((resolve) => out.end(() => resolve()));
      }
    }
  }
  const size = await sizeOf(part);
  if (target.bytes !== undefined && size !== target.bytes) {
    throw new DownloadError(`${target.url}: got ${size} bytes, expected ${target.bytes}; run the same command again to resume.`);
  }
  if (target.sha256) {
    const actual = await sha256File(part);
    if (actual !== target.sha256) {
      await fsp.rm(part, { force: true });
      throw new DownloadError(`${target.url}: sha256 ${actual} does not match the pinned ${target.sha256}; the partial file was deleted.`);
    }
  }
  await fsp.rename(part, target.dest);
}

/** Downloads every file of model `name` into `${modelsDir}/${name}`, skipping files already there and verified. */
export async function pullModel(name: string, options: PullOptions): Promise<string> {
  const { manifest, from } = await knownManifest(name, options.modelsDir);
  if (!manifest.hub) throw new DownloadError(`Model "${name}" has no hub source in its manifest; it cannot be pulled (see models/README.md).`);
  const folder = path.join(options.modelsDir, name);
  await fsp.mkdir(folder, { recursive: true });
  const endpoint = options.endpoint.replace(/\/+$/, "");
  for (const [role, file] of Object.entries(manifest.files)) {
    const dest = path.join(folder, file.path);
    const have = await sizeOf(dest);
    if (have > 0 && (file.bytes === undefined || have === file.bytes) && (!file.sha256 || (await sha256File(dest)) === file.sha256)) {
      options.logger?.info({ model: name, file: file.path }, "already downloaded");
      continue;
    }
    const url = `${endpoint}/${manifest.hub.repo}/resolve/${manifest.hub.revision}/${file.hubPath ?? file.path}`;
    options.logger?.info({ model: name, role, url }, "downloading");
    let lastLogged = -1;
    await downloadFile(
      { url, dest, bytes: file.bytes, sha256: file.sha256 },
      {
        ...options,
        endpoint,
        onProgress: (p) => {
          options.onProgress?.(p);
          const pct = p.total ? Math.floor((p.done / p.total) * 10) * 10 : -1;
          if (pct > lastLogged) {
            lastLogged = pct;
            options.logger?.info({ model: name, file: file.path, percent: pct, bytes: p.done }, "download progress");
          }
        },
      },
    );
  }
  if (path.resolve(from) !== path.resolve(folder)) await fsp.copyFile(path.join(from, MANIFEST_FILE), path.join(folder, MANIFEST_FILE));
  return folder;
}
