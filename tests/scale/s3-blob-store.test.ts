// The S3 storage driver against a real S3-compatible server on loopback: the same contract as the
// local folder (put, read, stream, stat, delete, list under a prefix), plus presigned GETs.
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { S3BlobStore } from "../../src/services/storage/s3-blob-store.js";
import { startS3Server, type S3Server } from "../support/s3-server.js";

let s3: S3Server;
let store: S3BlobStore;
let other: S3BlobStore;

const storeFor = (imageStore: string, env: Record<string, string> = {}) => new S3BlobStore(loadConfig({ ...s3.env, IMAGE_STORE: imageStore, ...env }).images.s3!);

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket("mmrag-images");
  store = storeFor("s3://mmrag-images/tenant-a/");
  other = storeFor("s3://mmrag-images/tenant-b");
}, 60_000);
afterAll(() => {
  store?.close();
  other?.close();
});

describe("S3BlobStore", () => {
  it("writes, reads, streams and stats a key; a missing key is undefined, not an error", async () => {
    await store.put("originals/ab/abc.jpg", Buffer.from("first bytes"));
    expect((await store.read("originals/ab/abc.jpg"))?.toString()).toBe("first bytes");
    const streamed = await store.stream("originals/ab/abc.jpg");
    expect(streamed).toMatchObject({ key: "originals/ab/abc.jpg", size: 11 });
    expect(await text(streamed!.body)).toBe("first bytes");
    expect(await store.stat("originals/ab/abc.jpg")).toMatchObject({ key: "originals/ab/abc.jpg", size: 11 });
    expect(await store.read("originals/ab/missing.jpg")).toBeUndefined();
    expect(await store.stream("originals/ab/missing.jpg")).toBeUndefined();
    expect(await store.stat("originals/ab/missing.jpg")).toBeUndefined();
  });

  it("replaces bytes whole on a second put, and deletes idempotently", async () => {
    await store.put("thumbnails/cd/cd.webp", Buffer.from("old"));
    await store.put("thumbnails/cd/cd.webp", Buffer.from("new and longer"));
    expect((await store.read("thumbnails/cd/cd.webp"))?.toString()).toBe("new and longer");
    await store.delete("thumbnails/cd/cd.webp");
    await store.delete("thumbnails/cd/cd.webp");
    expect(await store.read("thumbnails/cd/cd.webp")).toBeUndefined();
  });

  it("lists every key under a prefix, across pages, and nothing of another prefix in the same bucket", async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `originals/${String(i % 7).padStart(2, "0")}/${i}.png`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, Buffer.from(k))));
    await other.put("originals/00/foreign.png", Buffer.from("tenant b"));
    const listed: string[] = [];
    for await (const info of store.list("originals/")) listed.push(info.key);
    expect(listed.sort()).toEqual([...keys, "originals/ab/abc.jpg"].sort());
    const foreign: string[] = [];
    for await (const info of other.list("originals/")) foreign.push(info.key);
    expect(foreign).toEqual(["originals/00/foreign.png"]);
  });

  it("refuses keys that are not plain relative paths", async () => {
    for (const key of ["../escape.jpg", "/abs.jpg", "a//b.jpg", "a/../../b.jpg", ""]) {
      await expect(store.put(key, Buffer.from("x")), key).rejects.toThrow(/Not a storage key/);
    }
  });

  it("signs GET URLs that a plain HTTP client can fetch, with the image's content type", async () => {
    await store.put("originals/ef/ef.webp", Buffer.from("webp bytes"));
    const url = await store.presignedUrl("originals/ef/ef.webp");
    expect(url).toMatch(/X-Amz-Signature=/);
    expect(url).toContain("/mmrag-images/tenant-a/originals/ef/ef.webp?");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(await res.text()).toBe("webp bytes");
  });

  it("says UPSTREAM_UNAVAILABLE when the server does not answer, and refuses a bad IMAGE_STORE", async () => {
    const gone = new S3BlobStore({ ...loadConfig({ ...s3.env, IMAGE_STORE: "s3://mmrag-images" }).images.s3!, endpoint: "http://127.0.0.1:9" });
    await expect(gone.read("originals/ab/abc.jpg")).rejects.toMatchObject({ extensions: { code: "UPSTREAM_UNAVAILABLE", service: "storage" } });
    gone.close();
    expect(() => loadConfig({ IMAGE_STORE: "http://bucket" })).toThrow(/s3:\/\/bucket/);
    expect(() => loadConfig({ IMAGE_URLS: "presigned" })).toThrow(/needs IMAGE_STORE/);
  });
});
