// IMAGE_STORE=s3://bucket/prefix end to end: originals and thumbnails land in the bucket (nothing under
// DATA_DIR), are streamed through /images and /thumbnails, or handed out as presigned redirects
// (IMAGE_URLS=presigned), and leave the bucket with deleteImage.
import fs from "node:fs/promises";
import path from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { S3_CREDENTIALS, startS3Server, type S3Server } from "../support/s3-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";

const ADD = `mutation ($file: Upload!) { addImage(file: $file) { image { id url thumbnailUrl } } }`;

let s3: S3Server;
let client: S3Client;
let dataDir: string;
let server: TestServer;
let jpeg: Buffer;
let image: { id: string; url: string; thumbnailUrl: string };

async function keys(): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: "shop", Prefix: "mmrag/" }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket("shop");
  client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3_CREDENTIALS });
  dataDir = await tempDir();
  server = await startTestServer({ dataDir, env: { ...s3.env, IMAGE_STORE: "s3://shop/mmrag" } });
  jpeg = await makeJpeg(77);
  image = (await server.upload(ADD, {}, { file: { bytes: jpeg, name: "a.jpg", type: "image/jpeg" } })).data!.addImage.image;
}, 120_000);
afterAll(() => client?.destroy());

describe("images in an S3-compatible bucket", () => {
  it("stores the original and its thumbnail in the bucket under the prefix, and nothing on local disk", async () => {
    const shard = image.id.slice(0, 2);
    expect(await keys()).toEqual([`mmrag/originals/${shard}/${image.id}.jpg`, `mmrag/thumbnails/${shard}/${image.id}.webp`]);
    await expect(fs.stat(path.join(dataDir, "images"))).rejects.toThrow(/ENOENT/);
  });

  it("streams the original and the thumbnail through the API", async () => {
    const original = await fetch(image.url);
    expect(original.status).toBe(200);
    expect(original.headers.get("content-type")).toBe("image/jpeg");
    expect(Buffer.from(await original.arrayBuffer()).equals(jpeg)).toBe(true);
    const thumb = await fetch(image.thumbnailUrl);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    expect((await fetch(`${server.url}/images/${"0".repeat(64)}.jpg`)).status).toBe(404);
  });

  it("with IMAGE_URLS=presigned, redirects to a signed URL in the bucket that serves the same bytes", async () => {
    await server.close();
    server = await startTestServer({ dataDir, env: { ...s3.env, IMAGE_STORE: "s3://shop/mmrag", IMAGE_URLS: "presigned" } });
    const url = `${server.url}/images/${image.id}.jpg`;
    const redirect = await fetch(url, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(`${s3.endpoint}/shop/mmrag/originals/`)).toBe(true);
    expect(location).toMatch(/X-Amz-Expires=3600/);
    const followed = await fetch(url);
    expect(Buffer.from(await followed.arrayBuffer()).equals(jpeg)).toBe(true);
    expect((await fetch(`${server.url}/thumbnails/${image.id}.webp`)).headers.get("content-type")).toBe("image/webp");
    expect((await fetch(`${server.url}/images/${image.id}`, { redirect: "manual" })).status).toBe(302);
    expect((await fetch(`${server.url}/images/${"0".repeat(64)}.jpg`, { redirect: "manual" })).status).toBe(404);
  });

  it("deleteImage removes both objects from the bucket", async () => {
    const res = await server.graphql(`mutation ($id: ID!) { deleteImage(id: $id) }`, { id: image.id });
    expect(res.errors).toBeUndefined();
    expect(await keys()).toEqual([]);
  });
});
