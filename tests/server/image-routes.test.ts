// Stored images as a browser fetches them: streamed from the image store, revalidated by ETag, transparency kept.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const ADD = `mutation($file: Upload!) { addImage(file: $file) { image { id url thumbnailUrl } } }`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

async function add(bytes: Buffer, name: string) {
  const res = await server.upload(ADD, {}, { file: { bytes, name } });
  expect(res.errors).toBeUndefined();
  return res.data!.addImage.image as { id: string; url: string; thumbnailUrl: string };
}

describe("image routes", () => {
  it("answers a repeat fetch with 304 by ETag, and HEAD with the size and no body", async () => {
    const bytes = await makeJpeg(31);
    const image = await add(bytes, "a.jpg");
    const first = await fetch(image.url);
    const etag = first.headers.get("etag");
    expect(etag).toBe(`"${image.id}"`);
    expect(first.headers.get("content-length")).toBe(String(bytes.length));
    await first.arrayBuffer();

    const again = await fetch(image.url, { headers: { "if-none-match": etag! } });
    expect(again.status).toBe(304);
    const head = await fetch(image.url, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), (await head.arrayBuffer()).byteLength]).toEqual([200, String(bytes.length), 0]);
    // Without the extension, whichever format is stored.
    expect((await fetch(`${server.url}/images/${image.id}`)).headers.get("content-type")).toBe("image/jpeg");
  });

  it("keeps the transparency of a transparent PNG in its thumbnail, so a page can show it on any background", async () => {
    const png = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } })
      .composite([{ input: { create: { width: 100, height: 100, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } } }, left: 100, top: 50 }])
      .png()
      .toBuffer();
    const image = await add(png, "white-on-clear.png");
    const thumb = Buffer.from(await (await fetch(image.thumbnailUrl)).arrayBuffer());
    const { data, info } = await sharp(thumb).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect(data[3]).toBe(0); // the top-left corner stays clear rather than white
  });
});
