// The web demo as a first-time user meets it: an empty catalogue, no LLM configured, a dark-mode desktop,
// transparent PNGs, a large photograph, and a server that goes away while the page is open.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { ARTIFACTS_DIR, ensureWebBuilt, launchBrowser, pageErrors } from "./support.js";

let server: TestServer;
let browser: Browser;
let page: Page;
let errors: string[] = [];
let dir: string;

beforeAll(async () => {
  dir = await tempDir("mmrag-web-first-");
  // No OPENAI_API_KEY, no OPENAI_BASE_URL: rerank is off.
  [server, browser] = await Promise.all([startTestServer(), launchBrowser(), ensureWebBuilt()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
  errors = pageErrors(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function screenshot(name: string, on: Page = page) {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await on.screenshot({ path: path.join(ARTIFACTS_DIR, name), fullPage: true });
}

describe("the web demo on a fresh server", () => {
  it("shows an empty drop zone as a hint, not a broken image", async () => {
    await page.goto(`${server.url}/#search`);
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^0 images · /);
    expect(await page.isVisible("#query-hint")).toBe(true);
    expect(await page.isVisible("#query-preview")).toBe(false);
    expect(await page.$eval("#query-preview", (img) => getComputedStyle(img).display)).toBe("none");
  });

  it("says up front that rerank is off, and why, instead of promising an LLM", async () => {
    expect(await page.textContent("#server-status")).toContain("no rerank LLM");
    expect(await page.isChecked("#rerank")).toBe(false);
    expect(await page.isDisabled("#rerank")).toBe(true);
    expect(await page.textContent("#rerank-off")).toMatch(/^Rerank is off: set OPENAI_API_KEY/);
    expect(await page.isVisible("#rerank-off")).toBe(true);
  });

  it("searching an empty catalogue says how to add images, with no empty ranking", async () => {
    const query = path.join(dir, "query.jpg");
    await fs.writeFile(query, await makeJpeg(3, 640, 480));
    await page.setInputFiles("#query-file", query);
    expect(await page.isVisible("#query-preview")).toBe(true);
    await page.click("#search-button");
    await page.waitForSelector("#search-empty:not([hidden])");
    expect(await page.textContent("#search-empty h2")).toBe("The catalogue has no images yet");
    expect(await page.getAttribute("#search-empty a", "href")).toBe("#ingest");
    expect(await page.isVisible("#search-results")).toBe(false);
    expect(await page.isVisible("#best-pick")).toBe(false);
    await screenshot("web-first-run-empty-dark.png");
  });

  it("uses dark colours when the system asks for them, and light ones otherwise", async () => {
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(await background()).toBe("rgb(18, 21, 27)");
    await page.emulateMedia({ colorScheme: "light" });
    expect(await background()).toBe("rgb(246, 247, 249)");
    await page.emulateMedia({ colorScheme: "dark" });
  });

  it("keeps transparency in thumbnails and shows them on a checkerboard", async () => {
    // White lettering on a transparent background: flattened on white, it was a blank square.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><text x="20" y="120" font-size="90" fill="#fff">LOGO</text></svg>`;
    const logo = await sharp(Buffer.from(svg)).png().toBuffer();
    const added = await server.upload(
      `mutation ($file: Upload!) { addImage(file: $file, metadata: { title: "white logo" }) { image { id thumbnailUrl } } }`,
      {},
      { file: { bytes: logo, name: "logo.png", type: "image/png" } },
    );
    const { thumbnailUrl } = added.data!.addImage.image;
    const thumbnail = Buffer.from(await (await fetch(thumbnailUrl)).arrayBuffer());
    expect(await sharp(thumbnail).metadata()).toMatchObject({ format: "webp", hasAlpha: true });
    const { data } = await sharp(thumbnail).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBe(0); // the top-left corner is still see-through

    await page.goto(`${server.url}/#catalogue`);
    await page.waitForSelector("#catalogue-grid li img");
    expect(await page.$eval("#catalogue-grid li img", (img) => getComputedStyle(img).backgroundImage)).toContain("conic-gradient");
    await screenshot("web-first-run-catalogue-dark.png");
  });

  it("shows the best pick from a display-size rendition, not the 20 MB original", async () => {
    const big = await makeJpeg(11, 2400, 1600);
    const added = await server.upload(
      `mutation ($file: Upload!) { addImage(file: $file, metadata: { title: "big photo" }) { image { id } } }`,
      {},
      { file: { bytes: big, name: "big.jpg", type: "image/jpeg" } },
    );
    const id = added.data!.addImage.image.id;
    const [first, again] = await Promise.all([fetch(`${server.url}/previews/${id}.webp`), fetch(`${server.url}/previews/${id}.webp`)]);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/webp");
    const preview = Buffer.from(await first.arrayBuffer());
    expect(await sharp(preview).metadata()).toMatchObject({ format: "webp", width: 1024, height: 683 });
    expect(Buffer.from(await again.arrayBuffer()).equals(preview)).toBe(true);
    expect(preview.length).toBeLessThan(big.length);
    expect((await fetch(`${server.url}/previews/${"0".repeat(64)}.webp`)).status).toBe(404);
    expect((await fetch(`${server.url}/previews/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);

    await page.goto(`${server.url}/#search`);
    await page.setInputFiles("#query-file", path.join(dir, "query.jpg"));
    await page.click("#search-button");
    await page.waitForSelector("#best-pick img");
    expect(await page.getAttribute("#best-pick img", "src")).toMatch(/\/previews\/[0-9a-f]{64}\.webp$/);
    await screenshot("web-first-run-search-dark.png");
    // Deleting the image deletes its rendition too.
    await server.graphql(`mutation ($id: ID!) { deleteImage(id: $id) }`, { id });
    expect((await fetch(`${server.url}/previews/${id}.webp`)).status).toBe(404);
  });

  it("fits a phone's screen in dark mode", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, colorScheme: "dark" });
    const phoneErrors = pageErrors(phone);
    await phone.goto(`${server.url}/#search`);
    await expect.poll(() => phone.textContent("#server-status")).toMatch(/images? · /);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot("web-first-run-search-phone-dark.png", phone);
    expect(phoneErrors).toEqual([]);
    await phone.close();
  });

  it("says the server is offline once it has gone, instead of its last image count", async () => {
    await page.goto(`${server.url}/#search`);
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^\d+ images? · /);
    await server.close();
    await expect.poll(() => page.textContent("#server-status"), { timeout: 20_000 }).toMatch(/^Offline: Could not reach the mmrag server/);
    expect(await page.getAttribute("#server-status", "class")).toContain("offline");
  }, 30_000);

  it("shows no script errors and trips no Content-Security-Policy rule", () => {
    expect(errors).toEqual([]);
  });
});
