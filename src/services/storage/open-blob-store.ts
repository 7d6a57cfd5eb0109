// The storage driver the configuration names: an S3-compatible bucket, or a local folder.
import type { Config } from "../../config.js";
import type { BlobStore } from "./blob-store.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";

/** `area` ("panoramas") is a prefix inside the bucket, or `localDir` on disk. */
export function openBlobStore(config: Config["images"], local: { dir: string; area?: string } = { dir: config.storeDir }): BlobStore {
  if (!config.s3) return new LocalBlobStore(local.dir);
  return new S3BlobStore(local.area ? { ...config.s3, prefix: `${config.s3.prefix}${local.area}/` } : config.s3);
}
