// BlobStore on an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...), under an optional key prefix.
// One PUT is atomic in S3, so readers see old or new bytes, never a part. Originals and thumbnails can
// also be handed out as presigned GET URLs, so image bytes need not pass through the API at all.
import type { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../../config.js";
import { UpstreamUnavailableError } from "../../errors.js";
import { checkKey, type BlobInfo, type BlobStore, type BlobStream } from "./blob-store.js";

/** So that a browser given a presigned URL is told what it downloads. */
const CONTENT_TYPES: Record<string, string> = {
  jpg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  tiff: "image/tiff",
  avif: "image/avif",
  heic: "image/heic",
};

export type S3Settings = NonNullable<Config["images"]["s3"]>;

export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.description = "an S3-compatible bucket";
    this.client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      // Unset: the SDK's own chain (instance or pod role, shared profile, web identity).
      credentials: settings.credentials,
      maxAttempts: 3,
    });
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const extension = key.slice(key.lastIndexOf(".") + 1).toLowerCase();
    const request = new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key), Body: bytes, ContentLength: bytes.length, ContentType: CONTENT_TYPES[extension] ?? "application/octet-stream" });
    await this.guard("put", () => this.client.send(request));
  }

  async read(key: string): Promise<Buffer | undefined> {
    const found = await this.get(key);
    return found && Buffer.from(await found.Body!.transformToByteArray());
  }

  async stream(key: string): Promise<BlobStream | undefined> {
    const found = await this.get(key);
    if (!found) return undefined;
    return { key, size: Number(found.ContentLength ?? 0), modifiedAt: found.LastModified ?? new Date(0), body: found.Body as Readable };
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const request = new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) });
    const head = await this.orMissing(this.guard("head", () => this.client.send(request)));
    return head && { key, size: Number(head.ContentLength ?? 0), modifiedAt: head.LastModified ?? new Date(0) };
  }

  async delete(key: string): Promise<void> {
    const request = new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) });
    await this.guard("delete", () => this.client.send(request));
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      const request = new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix, ContinuationToken: token });
      const page = await this.guard("list", () => this.client.send(request));
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { key: object.Key.slice(this.settings.prefix.length), size: Number(object.Size ?? 0), modifiedAt: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** A time-limited GET URL for one key (IMAGE_URLS=presigned); signing is local, no request is made. */
  presignedUrl(key: string): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }), { expiresIn: this.settings.presignSeconds });
  }

  close(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    return this.settings.prefix + checkKey(key);
  }

  private get(key: string) {
    return this.orMissing(this.guard("get", () => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }))));
  }

  private async orMissing<T>(request: Promise<T>): Promise<T | undefined> {
    try {
      return await request;
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === "NoSuchKey" || err.name === "NotFound" || err.$metadata.httpStatusCode === 404)) return undefined;
      throw err;
    }
  }

  /** Network failures and server errors become UPSTREAM_UNAVAILABLE; refusals (403, no such bucket) stay as they are. */
  private async guard<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (!(err instanceof S3ServiceException)) {
        throw new UpstreamUnavailableError("storage", `Image storage did not answer (${operation}): ${(err as Error).message}`);
      }
      if ((err.$metadata.httpStatusCode ?? 0) >= 500) throw new UpstreamUnavailableError("storage", `Image storage failed (${operation}, HTTP ${err.$metadata.httpStatusCode})`);
      throw err;
    }
  }
}
