// The web demo on a server with API keys: it asks for one when the server answers UNAUTHENTICATED, keeps it
// for the tab (sessionStorage), and sends it through the SDK on HTTP and graphql-ws.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addKey } from "../../src/services/auth/api-keys.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { ARTIFACTS_DIR, ensureWebBuilt, launchBrowser, pageErrors } from "./support.js";

let server: TestServer;
let browser: Browser;
let page: Page;
let errors: string[] = [];
let dir: string;
let key: string;

beforeAll(async () => {
  dir = await tempDir("mmrag-web-keys-");
  const keyFile = path.join(dir, "keys.json");
  key = addKey(keyFile, "demo-user", "write");
  [server, browser] = await Promise.all([startTestServer({ env: { API_KEYS_FILE: keyFile, RATE_LIMIT_PER_MINUTE: "0" } }), launchBrowser(), ensureWebBuilt()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = pageErrors(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe("the web demo with API keys on", () => {
  it("asks for a key when the server wants one, and refuses a wrong one", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector("#api-key-form:not([hidden])");
    expect(await page.textContent("#server-status")).toBe("This server needs an API key: enter it in the box at the top of the page.");
    await page.fill("#api-key", "mmrag_not-a-key");
    await page.click("#api-key-form button[type=submit]");
    await page.waitForSelector("#api-key-form:not([hidden])");
    await expect.poll(() => page.textContent("#api-key-reason")).toMatch(/not valid/);
    await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "web-api-key.png"), fullPage: true });
  });

  it("with the right key, works on both transports and keeps the key for the tab only", async () => {
    await page.fill("#api-key", key);
    await page.click("#api-key-form button[type=submit]");
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^0 images · /);
    expect(await page.isVisible("#api-key-form")).toBe(false);
    expect(await page.evaluate(() => sessionStorage.getItem("mmrag.apiKey"))).toBe(key);
    expect(await page.evaluate(() => localStorage.getItem("mmrag.apiKey"))).toBeNull();

    // An ingest: the upload over HTTP and its progress over graphql-ws both carry the key.
    const file = path.join(dir, "one.jpg");
    await fs.writeFile(file, await makeJpeg(5, 320, 240));
    await page.goto(`${server.url}/#ingest`);
    await page.setInputFiles("#ingest-files", [file]);
    await page.click("#ingest-button");
    await page.waitForSelector('#ingest-bar[data-status="SUCCEEDED"]', { timeout: 30_000 });
    await page.reload();
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^1 image · /);
    expect(await page.isVisible("#api-key-form")).toBe(false);
  });

  it("shows no script errors and trips no Content-Security-Policy rule", () => {
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  });
});
