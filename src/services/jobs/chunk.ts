// One unit of queued ingest work: a few items of one job, each saying where a worker finds its bytes.
// Uploads are staged in the shared image storage first, so no item depends on the API replica's disk.
import type { Config } from "../../config.js";
import { BadUserInputError } from "../../errors.js";
import type { BlobStore } from "../storage/blob-store.js";
import { readInside, readSidecar, resolveIngestFolder } from "../ingest/folder-source.js";
import { checkUrl, fetchImage } from "../ingest/url-source.js";

export type ItemSource =
  | { kind: "staged"; key: string; metadata?: Record<string, unknown> }
  | { kind: "folder"; folder: string; relative: string }
  | { kind: "url"; url: string; metadata?: Record<string, unknown> }
  /** A reindex: an image already in the catalogue, read from its stored original (createdAt: ms, kept). */
  | { kind: "stored"; key: string; metadata: Record<string, unknown>; createdAt: number };

export interface ChunkItem {
  /** Position in the whole job: the identity under which its outcome is recorded once. */
  index: number;
  name: string;
  source: ItemSource;
}

export interface IngestChunk {
  jobId: string;
  /** The catalogue the images go into; the worker opens it by name. */
  catalogue: string;
  /** A reindex: the collection it builds for the catalogue, instead of the active one. */
  collection?: string;
  chunk: number;
  chunks: number;
  items: ChunkItem[];
  /** The request that started the job, so worker logs can be joined with the API's. */
  requestId?: string;
}

export const QUEUE_NAME = "mmrag-ingest";

export function stagedKey(jobId: string, index: number): string {
  return `staging/${jobId}/${index}`;
}

/**
 * Bytes and metadata of one item, with the same checks as in a single process (roots, URL allowlist).
 * No bytes: a stored original gone since the reindex listed it (its image was deleted meanwhile).
 */
export async function readItem(
  source: ItemSource,
  deps: { staging: BlobStore; ingest: Config["ingest"]; signal: AbortSignal },
): Promise<{ bytes: Buffer | undefined; metadata: Record<string, unknown>; createdAt?: Date }> {
  switch (source.kind) {
    case "stored":
      // The originals live in the same storage as staged uploads (one BlobStore per deployment).
      return { bytes: await deps.staging.read(source.key), metadata: source.metadata, createdAt: new Date(source.createdAt) };
    case "staged": {
      const bytes = await deps.staging.read(source.key);
      if (!bytes) throw new BadUserInputError("The uploaded file is no longer in storage (its job was already finished elsewhere?)");
      return { bytes, metadata: source.metadata ?? {} };
    }
    case "folder": {
      // A worker checks the folder against its own INGEST_ROOTS too: it may not trust what is queued.
      const folder = await resolveIngestFolder(source.folder, deps.ingest.roots);
      return { bytes: await readInside(folder, source.relative), metadata: await readSidecar(folder, source.relative) };
    }
    case "url": {
      const policy = { allowlist: deps.ingest.urlAllowlist, timeoutMs: deps.ingest.urlTimeoutMs, maxBytes: deps.ingest.urlMaxBytes };
      const url = checkUrl(source.url, policy);
      return { bytes: await fetchImage(url, policy, deps.signal), metadata: { sourceUrl: url.href, ...(source.metadata ?? {}) } };
    }
  }
}
