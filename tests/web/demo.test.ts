// The web demo at / in headless Chromium against a real server: ingest with a live progress bar, composed
// search with the LLM's best pick (through a loopback OpenAI-compatible stub), the catalogue, and errors.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startOpenAIStub, type OpenAIStub } from "../support/openai-stub-server.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { loadBuiltSdk } from "../sdk/support.js";
import { ARTIFACTS_DIR, ensureWebBuilt, launchBrowser, pageErrors } from "./support.js";

const REASONS = "Candidate 3 carries the query's pattern onto a phone case.";
let server: TestServer;
let stub: OpenAIStub;
let browser: Browser;
let page: Page;
let errors: string[] = [];
let dir: string;

beforeAll(async () => {
  [stub, dir] = await Promise.all([startOpenAIStub({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}` }), tempDir("mmrag-web-")]);
  [server, browser] = await Promise.all([
    startTestServer({
      env: { OPENAI_BASE_URL: stub.url, OPENAI_API_KEY: "sk-test", RERANK_RESPONSE_FORMAT: "text", RERANK_MAX_RETRIES: "0", RERANK_TIMEOUT_MS: "5000", INGEST_CONCURRENCY: "2" },
    }),
    launchBrowser(),
    ensureWebBuilt(),
  ]);
  // 26 images: more than one catalogue page of 24.
  const sdk = await loadBuiltSdk();
  const client = sdk.createClient({ url: `${server.url}/graphql` });
  const files = await Promise.all(Array.from({ length: 26 }, (_, i) => makeJpeg(200 + i, 200, 150)));
  const job = await client.ingestAndWait(files, { metadata: files.map((_, i) => ({ title: `seed ${i}` })) });
  expect(job.status).toBe("SUCCEEDED");
  await client.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = pageErrors(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stub?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function screenshot(name: string) {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, name), fullPage: true });
}

describe("the web demo", () => {
  it("says what the server holds", async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^26 images · .+ · milvus-lite$/);
    // The tests run a generated model; the page says its results mean nothing.
    expect(await page.isVisible("#model-warning")).toBe(true);
  });

  it("ingests files with a live progress bar that reaches 100%, listing the failures", async () => {
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      files.push(path.join(dir, `new-${i}.jpg`));
      await fs.writeFile(files[i], await makeJpeg(400 + i, 320, 240));
    }
    const broken = path.join(dir, "broken.jpg");
    await fs.writeFile(broken, "this is not a JPEG");
    files.push(broken);

    await page.goto(`${server.url}/#ingest`);
    await page.setInputFiles("#ingest-files", files);
    expect(await page.textContent("#ingest-button")).toBe("Add 6 images");
    // Every value the bar shows, as it shows it.
    await page.evaluate(() => {
      const bar = document.getElementById("ingest-bar")!;
      (window as any).seen = [];
      new MutationObserver(() => (window as any).seen.push(Number(bar.getAttribute("aria-valuenow")))).observe(bar, { attributes: true, attributeFilter: ["aria-valuenow"] });
    });
    await page.click("#ingest-button");
    await page.waitForSelector('#ingest-bar[data-status="PARTIAL"]', { timeout: 30_000 });

    expect(await page.getAttribute("#ingest-bar", "aria-valuenow")).toBe("100");
    const seen: number[] = await page.evaluate(() => (window as any).seen);
    expect(seen.at(-1)).toBe(100);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.textContent("#ingest-status")).toContain("6 of 6 processed (100%): 5 added, 0 already in the catalogue, 1 failed");
    const failures = await page.locator("#ingest-failures li").allTextContents();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^broken\.jpg: .+\(UNSUPPORTED_MEDIA_TYPE\)$/);
    await screenshot("web-demo-ingest.png");
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^31 images/);
  });

  it("searches with an uploaded image and an instruction, showing the ranking, the best pick with its reasons, and the panorama", async () => {
    const query = path.join(dir, "query.jpg");
    await fs.writeFile(query, await makeJpeg(7, 640, 480));
    stub.requests.length = 0;

    await page.goto(`${server.url}/#search`);
    // Dropped onto the drop zone, as a person would drag it in from their files.
    const dataTransfer = await page.evaluateHandle(async (base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "query.jpg", { type: "image/jpeg" }));
      return transfer;
    }, (await fs.readFile(query)).toString("base64"));
    await page.dispatchEvent("#query-drop", "drop", { dataTransfer });
    await expect.poll(() => page.isVisible("#query-preview")).toBe(true);
    expect(await page.textContent("#query-hint")).toBe("query.jpg (drop or choose another)");
    await page.fill("#instruction", "phone case with this image theme");
    expect(await page.isChecked("#rerank")).toBe(true);
    await page.click("#search-button");
    await page.waitForSelector("#best-pick .explanation");

    expect(await page.textContent("#best-pick .explanation")).toBe(REASONS);
    expect(await page.textContent("#best-pick .label")).toBe("Best pick");
    const cards = page.locator("#result-grid li");
    expect(await cards.count()).toBe(9);
    expect(await cards.locator(".rank").allTextContents()).toEqual(["#1", "#2", "#3", "#4", "#5", "#6", "#7", "#8", "#9"]);
    // The LLM's first choice was vector candidate 2, so the highlighted card says it moved up.
    expect(await page.locator("#result-grid li.best").count()).toBe(1);
    expect(await page.locator("#result-grid li").first().getAttribute("class")).toBe("result best");
    expect(await page.textContent("#result-grid li.best .meta")).toMatch(/score -?\d\.\d{3} · was #3/);
    expect(await page.isVisible("#rerank-note")).toBe(false);

    // The request went through the stub with the instruction; the panorama it saw is on the page.
    expect(stub.requests).toHaveLength(1);
    await page.click("#panorama-box summary");
    await expect.poll(() => page.$eval("#panorama", (img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await expect.poll(() => page.$$eval("#result-grid img", (imgs) => imgs.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0))).toBe(true);
    await screenshot("web-demo-search.png");
  });

  it("without rerank, shows the vector order and says so", async () => {
    stub.requests.length = 0;
    await page.uncheck("#rerank");
    await page.click("#search-button");
    await expect.poll(() => page.textContent("#best-pick .label")).toBe("Closest match");
    expect(await page.textContent("#rerank-note")).toMatch(/^Shown in vector order, without the LLM/);
    expect(await page.isVisible("#best-pick .explanation")).toBe(false);
    expect(stub.requests).toHaveLength(0);
    await page.check("#rerank");
  });

  it("explains a failed search in plain words", async () => {
    const broken = path.join(dir, "photo.jpg");
    await fs.writeFile(broken, "not an image at all");
    await page.setInputFiles("#query-file", broken);
    await page.click("#search-button");
    await page.waitForSelector("#search-error:not([hidden])");
    expect(await page.textContent("#search-error")).toBe("That file is not an image the server can read. Use a JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF picture.");
  });

  it("pages through the catalogue, deletes an image, and searches with a catalogue image", async () => {
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.textContent("#catalogue-count")).toBe("31 images");
    expect(await page.locator("#catalogue-grid li").count()).toBe(24);
    expect(await page.textContent("#page-label")).toBe("Page 1 of 2");
    expect(await page.isDisabled("#prev-page")).toBe(true);

    await page.click("#next-page");
    await expect.poll(() => page.textContent("#page-label")).toBe("Page 2 of 2");
    expect(await page.locator("#catalogue-grid li").count()).toBe(7);
    expect(await page.isDisabled("#next-page")).toBe(true);

    const first = page.locator("#catalogue-grid li").first();
    const id = await first.getAttribute("data-image-id");
    await first.locator("button.danger").click();
    expect(await first.locator("button.danger").textContent()).toBe("Really delete?");
    await first.locator("button.danger").click();
    await expect.poll(() => page.textContent("#catalogue-count")).toBe("30 images");
    expect(await page.locator(`#catalogue-grid li[data-image-id="${id}"]`).count()).toBe(0);
    expect((await server.graphql(`query ($id: ID!) { image(id: $id) { id } }`, { id })).data!.image).toBeNull();

    await page.click("#prev-page");
    await expect.poll(() => page.textContent("#page-label")).toBe("Page 1 of 2");
    await screenshot("web-demo-catalogue.png");
    const item = page.locator("#catalogue-grid li").first();
    const title = await item.locator(".title").textContent();
    await item.getByText("Search with this").click();
    await expect.poll(() => page.isVisible("#view-search")).toBe(true);
    expect(await page.textContent("#query-hint")).toBe(`${title} (drop or choose another)`);
    // The earlier search's results are still on the page: clear them to see this one's arrive.
    await page.evaluate(() => document.getElementById("best-pick")!.replaceChildren());
    stub.requests.length = 0;
    await page.click("#search-button");
    await page.waitForSelector("#best-pick .explanation");
    expect(stub.requests).toHaveLength(1);
  });

  it("fits a phone's screen", async () => {
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${server.url}/#search`);
    await page.setInputFiles("#query-file", path.join(dir, "query.jpg"));
    await page.click("#search-button");
    await page.waitForSelector("#best-pick .explanation");
    expect(await page.textContent("#search-button")).toBe("Search");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot("web-demo-phone.png");
  });

  it("shows no script errors and trips no Content-Security-Policy rule", () => {
    expect(errors).toEqual([]);
  });
});
