// One panorama file per reranked search (never a shared temp file, so concurrent searches cannot
// collide), served at /panoramas/:id and deleted once older than PANORAMA_TTL_MS.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../logger.js";
import { drawPanorama } from "./draw-panorama.js";

export interface Panorama {
  id: string;
  file: string;
  jpeg: Buffer;
  width: number;
  height: number;
  tile: number;
  columns: number;
  rows: number;
  unreadable: number[];
}

const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export class PanoramaService {
  private readonly timer: NodeJS.Timeout;
  private readonly ready: Promise<void>;

  constructor(private readonly options: { dir: string; ttlMs: number; logger: Logger; maxPixels: number }) {
    this.ready = fsp.mkdir(options.dir, { recursive: true }).then(() => undefined);
    this.timer = setInterval(() => void this.sweep(), Math.min(options.ttlMs / 2, MAX_SWEEP_INTERVAL_MS));
    this.timer.unref();
    void this.sweep();
  }

  async draw(query: Buffer, candidates: Buffer[]): Promise<Panorama> {
    const drawn = await drawPanorama(query, candidates, this.options.maxPixels);
    if (drawn.unreadable.length > 0) this.options.logger.warn({ unreadable: drawn.unreadable }, "panorama: some stored candidate images could not be decoded");
    await this.ready;
    const id = randomUUID();
    const file = path.join(this.options.dir, `${id}.jpg`);
    await fsp.writeFile(file, drawn.jpeg);
    const { width, height, tile, columns, rows } = drawn.layout;
    return { id, file, jpeg: drawn.jpeg, width, height, tile, columns, rows, unreadable: drawn.unreadable };
  }

  /** The file of a panorama that exists and has not expired. */
  resolve(id: string): string | undefined {
    if (!ID_PATTERN.test(id)) return undefined;
    const file = path.join(this.options.dir, `${id}.jpg`);
    try {
      return Date.now() - fs.statSync(file).mtimeMs <= this.options.ttlMs ? file : undefined;
    } catch {
      return undefined;
    }
  }

  /** Deletes expired panoramas, including those left by an earlier run. Returns how many went. */
  async sweep(): Promise<number> {
    let removed = 0;
    try {
      await this.ready;
      const cutoff = Date.now() - this.options.ttlMs;
      for (const name of await fsp.readdir(this.options.dir)) {
        if (!name.endsWith(".jpg")) continue;
        const file = path.join(this.options.dir, name);
        const stat = await fsp.stat(file).catch(() => undefined);
        if (stat && stat.mtimeMs < cutoff) {
          await fsp.rm(file, { force: true });
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
