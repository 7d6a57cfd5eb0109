// The storage driver the configuration names: an S3-compatible bucket, or the local image folder.
import type { Config } from "../../config.js";
import type { BlobStore } from "./blob-store.js";
import { LocalBlobStore } from "./local-blob-store.js";
import { S3BlobStore } from "./s3-blob-store.js";

export function openBlobStore(config: Config["images"]): BlobStore {
  return config.s3 ? new S3BlobStore(config.s3) : new LocalBlobStore(config.storeDir);
}
