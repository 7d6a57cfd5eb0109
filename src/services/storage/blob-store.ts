// The one seam through which mmrag talks to image storage: opaque keys ("originals/ab/<id>.jpg") to bytes.
// The local folder is one driver; an S3-compatible bucket is another. Nothing above this knows which.
import type { Readable } from "node:stream";

export interface BlobInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface BlobStream extends BlobInfo {
  body: Readable;
}

export interface BlobStore {
  /** Atomic: a reader sees the old bytes or the new ones, never a part. */
  put(key: string, bytes: Buffer): Promise<void>;
  /** undefined when there is no such key. */
  read(key: string): Promise<Buffer | undefined>;
  stream(key: string): Promise<BlobStream | undefined>;
  stat(key: string): Promise<BlobInfo | undefined>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key under a prefix ("originals/"), in no particular order. */
  list(prefix: string): AsyncIterable<BlobInfo>;
  /** A time-limited URL a client can GET the bytes from directly; only drivers that can sign have it (S3). */
  presignedUrl?(key: string): Promise<string>;
  /** What kind of store, in words, for error messages (no paths or secrets: clients may read them). */
  readonly description: string;
}

/** Keys are relative POSIX paths of plain segments: nothing a request could use to leave the store. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(key) || key.split("/").includes("..")) {
    throw new Error(`Not a storage key: ${JSON.stringify(key)}`);
  }
  return key;
}
