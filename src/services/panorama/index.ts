// The numbered panorama a reranked search shows the LLM, stored under a name derived from the query and
// its candidates: a repeated search (an LLM answer from the cache, say) reuses the file instead of drawing
// and writing another. Served at /panoramas/:id; deleted once older than PANORAMA_TTL_MS.
import { createHash } from "node:crypto";
import type { Logger } from "../../logger.js";
import type { DecodedImage } from "../image-decode.js";
import type { BlobStore, BlobStream } from "../storage/blob-store.js";
import { drawPanorama } from "./draw-panorama.js";
import { layoutFor, type PanoramaLayout } from "./layout.js";

export interface Panorama {
  id: string;
  jpeg: Buffer;
  width: number;
  height: number;
  tile: number;
  columns: number;
  rows: number;
  /** Candidates drawn as grey tiles because their stored image could not be read. */
  unreadable: number[];
  /** False when an earlier, identical search's file was reused. */
  drawn: boolean;
}

export interface PanoramaCandidate {
  id: string;
  /** Called only when the panorama has to be drawn; undefined draws a grey tile. */
  load(): Promise<DecodedImage | undefined>;
}

const ID_PATTERN = /^[0-9a-f]{40}$/;
const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export class PanoramaService {
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: { store: BlobStore; ttlMs: number; logger: Logger }) {
    this.timer = setInterval(() => void this.sweep(), Math.min(options.ttlMs / 2, MAX_SWEEP_INTERVAL_MS));
    this.timer.unref();
    void this.sweep();
  }

  async panoramaFor(query: DecodedImage, candidates: PanoramaCandidate[]): Promise<Panorama> {
    const id = createHash("sha256").update([query.id, ...candidates.map((c) => c.id)].join("\n")).digest("hex").slice(0, 40);
    const key = `${id}.jpg`;
    // Reused only while at least half its lifetime is left, so the URL handed out stays valid a while.
    const existing = await this.options.store.stat(key);
    const jpeg = existing && Date.now() - existing.modifiedAt.getTime() < this.options.ttlMs / 2 ? await this.options.store.read(key) : undefined;
    if (jpeg) return { id, jpeg, ...sizes(layoutFor(candidates.length)), unreadable: [], drawn: false };
    const fresh = await drawPanorama(query, await Promise.all(candidates.map((c) => c.load())));
    if (fresh.unreadable.length > 0) this.options.logger.warn({ unreadable: fresh.unreadable }, "panorama: some stored candidate images could not be read");
    await this.options.store.put(key, fresh.jpeg);
    return { id, jpeg: fresh.jpeg, ...sizes(fresh.layout), unreadable: fresh.unreadable, drawn: true };
  }

  /** A panorama that exists and has not expired. */
  async open(id: string): Promise<BlobStream | undefined> {
    if (!ID_PATTERN.test(id)) return undefined;
    const found = await this.options.store.stream(`${id}.jpg`);
    if (found && Date.now() - found.modifiedAt.getTime() > this.options.ttlMs) {
      found.body.destroy();
      return undefined;
    }
    return found;
  }

  /** Deletes expired panoramas, including those left by an earlier run. Returns how many went. */
  async sweep(): Promise<number> {
    let removed = 0;
    try {
      const cutoff = Date.now() - this.options.ttlMs;
      for await (const blob of this.options.store.list("")) {
        if (blob.key.endsWith(".jpg") && blob.modifiedAt.getTime() < cutoff) {
          await this.options.store.delete(blob.key);
          removed++;
        }
      }
    } catch (err) {
      this.options.logger.warn({ err }, "panorama sweep failed");
    }
    return removed;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function sizes({ width, height, tile, columns, rows }: PanoramaLayout) {
  return { width, height, tile, columns, rows };
}
