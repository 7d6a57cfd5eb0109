// The sample catalogue `mmrag demo` uses: the Amazon Reviews 2023 subset (about 900 product images) and the
// leopard query image from the Milvus bootcamp's multimodal RAG example, downloaded once into a folder.
import fs from "node:fs/promises";
import path from "node:path";
import { x as extractTar } from "tar";
import { DownloadError, downloadFile, HubUnreachableError } from "../model-tooling/pull.js";

export const SAMPLE_SET_URL = "https://github.com/milvus-io/bootcamp/releases/download/data/amazon_reviews_2023_subset.tar.gz";
export const SAMPLE_QUERY_URL = "https://github.com/milvus-io/bootcamp/releases/download/data/leopard.jpg";
export const SAMPLE_INSTRUCTION = "phone case with this image theme";

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif|heic|heif)$/i;

export interface SampleSetOptions {
  dataUrl: string;
  queryUrl: string;
  /** Give up when a server sends no answer (or no bytes) for this long. */
  timeoutMs: number;
  onProgress?: (what: string, done: number, total: number | undefined) => void;
}

export interface SampleSet {
  /** The folder holding the catalogue images. */
  catalogueDir: string;
  images: string[];
  queryImage: string;
}

/** Could not download: offline, the host is unreachable, or it answered an error. */
export class SampleSetUnavailableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Could not download ${url} (${reason}).`);
    this.name = "SampleSetUnavailableError";
  }
}

/** Downloads and unpacks the sample set into `dir`, or reuses what an earlier run left there. */
export async function fetchSampleSet(dir: string, options: SampleSetOptions): Promise<SampleSet> {
  await fs.mkdir(dir, { recursive: true });
  const unpacked = path.join(dir, "catalogue");
  const marker = path.join(dir, ".unpacked");
  if ((await fs.readFile(marker, "utf8").catch(() => "")) !== options.dataUrl) {
    const archive = path.join(dir, path.basename(new URL(options.dataUrl).pathname) || "sample-set.tar.gz");
    if (!(await exists(archive))) await download(options.dataUrl, archive, options);
    await fs.rm(unpacked, { recursive: true, force: true });
    await fs.mkdir(unpacked);
    // tar strips absolute paths and `..` from entry names, so nothing lands outside `unpacked`.
    await extractTar({ file: archive, cwd: unpacked, strict: true });
    await fs.writeFile(marker, options.dataUrl);
  }
  // The query image stays outside the catalogue folder, so a search does not find the query itself.
  const queryImage = path.join(dir, path.basename(new URL(options.queryUrl).pathname) || "query.jpg");
  if (!(await exists(queryImage))) await download(options.queryUrl, queryImage, options);

  const catalogueDir = await folderWithMostImages(unpacked);
  const images = (await fs.readdir(catalogueDir)).filter((f) => IMAGE_FILE.test(f)).sort().map((f) => path.join(catalogueDir, f));
  if (images.length === 0) throw new Error(`The archive from ${options.dataUrl} holds no images (unpacked in ${unpacked}).`);
  return { catalogueDir, images, queryImage };
}

async function download(url: string, dest: string, options: SampleSetOptions): Promise<void> {
  try {
    await downloadFile(
      { url, dest },
      {
        endpoint: new URL(url).origin,
        connectTimeoutMs: options.timeoutMs,
        idleTimeoutMs: Math.max(options.timeoutMs, 30_000),
        onProgress: (p) => options.onProgress?.(path.basename(dest), p.done, p.total),
      },
    );
  } catch (err) {
    if (err instanceof HubUnreachableError) throw new SampleSetUnavailableError(url, /\(([^)]*)\)/.exec(err.message)?.[1] ?? err.message);
    if (err instanceof DownloadError) throw new SampleSetUnavailableError(url, err.message);
    throw err;
  }
}

/** The archive's layout is not ours to fix: take the folder (at any depth) that holds the most images. */
async function folderWithMostImages(root: string): Promise<string> {
  let best = { dir: root, count: -1 };
  const walk = async (dir: string) => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    const count = entries.filter((e) => e.isFile() && IMAGE_FILE.test(e.name)).length;
    if (count > best.count) best = { dir, count };
    for (const e of entries) if (e.isDirectory()) await walk(path.join(dir, e.name));
  };
  await walk(root);
  return best.dir;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
}
