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

/** The element's top edge, relative to the viewport. */
const topOf = (selector: string) => page.$eval(selector, (el) => el.getBoundingClientRect().top);

describe("the web demo", () => {
  it("says what the server holds", async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^26 images · .+ · rerank: gpt-4o · milvus-lite$/);
    // The tests run a generated model; the page says its results mean nothing, until the person has read it.
    expect(await page.isVisible("#model-warning")).toBe(true);
    expect(await page.textContent("#model-warning-text")).toMatch(/GENERATED/);
    await page.click("#model-warning-dismiss");
    expect(await page.isVisible("#model-warning")).toBe(false);
    await page.reload();
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^26 images/);
    expect(await page.isVisible("#model-warning")).toBe(false);
    // With an LLM configured, rerank starts ticked and says nothing about being off.
    expect(await page.isChecked("#rerank")).toBe(true);
    expect(await page.isEnabled("#rerank")).toBe(true);
    expect(await page.isVisible("#rerank-off")).toBe(false);
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
    // Every value the bar shows, as it shows it, with its phase: the transfer, then the processing.
    await page.evaluate(() => {
      const bar = document.getElementById("ingest-bar")!;
      (window as any).seen = [];
      new MutationObserver(() => (window as any).seen.push([bar.dataset.phase, Number(bar.getAttribute("aria-valuenow"))])).observe(bar, { attributes: true, attributeFilter: ["aria-valuenow", "data-phase"] });
    });
    await page.click("#ingest-button");
    await page.waitForSelector('#ingest-bar[data-status="PARTIAL"]', { timeout: 30_000 });

    expect(await page.getAttribute("#ingest-bar", "aria-valuenow")).toBe("100");
    const seen: Array<[string, number]> = await page.evaluate(() => (window as any).seen);
    const phases = seen.map(([phase]) => phase);
    expect(phases.indexOf("processing")).toBeGreaterThan(phases.lastIndexOf("upload"));
    const transfer = seen.filter(([phase]) => phase === "upload").map(([, value]) => value);
    const processing = seen.filter(([phase]) => phase === "processing").map(([, value]) => value);
    expect(transfer.at(-1)).toBe(100);
    expect([...transfer].sort((a, b) => a - b)).toEqual(transfer);
    expect(processing.at(-1)).toBe(100);
    expect([...processing].sort((a, b) => a - b)).toEqual(processing);
    expect(await page.textContent("#ingest-status")).toContain("6 of 6 processed (100%): 5 added, 0 already in the catalogue, 1 failed");
    const failures = await page.locator("#ingest-failures li").allTextContents();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^broken\.jpg: .+\(UNSUPPORTED_MEDIA_TYPE\)$/);
    await screenshot("web-demo-ingest.png");
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^31 images/);
  });

  it("over a slow link, shows the transfer as it goes, and Stop during the transfer adds nothing", async () => {
    const files: string[] = [];
    for (let i = 0; i < 12; i++) {
      files.push(path.join(dir, `slow-${i}.jpg`));
      await fs.writeFile(files[i], await makeJpeg(600 + i, 800, 600));
    }
    const before = (await server.graphql(`{ stats { images } }`)).data!.stats.images;
    await page.goto(`${server.url}/#ingest`);
    const cdp = await page.context().newCDPSession(page);
    // About 200 KB/s up: the dozen photographs take several seconds to send.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: 10_000_000, uploadThroughput: 200_000 });
    try {
      await page.setInputFiles("#ingest-files", files);
      await page.click("#ingest-button");
      expect(await page.isVisible("#ingest-cancel")).toBe(true);
      await expect.poll(() => page.getAttribute("#ingest-bar", "aria-valuenow"), { timeout: 20_000 }).toMatch(/^([1-9]\d?)$/);
      expect(await page.getAttribute("#ingest-bar", "data-phase")).toBe("upload");
      expect(await page.textContent("#ingest-status")).toMatch(/^Sending 12 files: [\d.]+ [KM]B of [\d.]+ MB \(\d+%\)…$/);
      await screenshot("web-demo-ingest-transfer.png");
      await page.click("#ingest-cancel");
      await expect.poll(() => page.textContent("#ingest-status")).toBe("Stopped before the transfer finished: none of the 12 files reached the catalogue.");
      expect(await page.isVisible("#ingest-cancel")).toBe(false);
      expect(await page.isEnabled("#ingest-button")).toBe(true);
    } finally {
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await server.graphql(`{ stats { images } }`)).data!.stats.images).toBe(before);
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
    // One numbering: each card carries its candidate number (its place in the vector order, as the panorama
    // draws it), in the LLM's order: the LLM answered [3, 1, 2], so #3 comes first, and its explanation cites "Candidate 3".
    expect(await cards.locator(".rank").allTextContents()).toEqual(["#3", "#1", "#2", "#4", "#5", "#6", "#7", "#8", "#9"]);
    expect(await page.locator("#result-grid li.best").count()).toBe(1);
    expect(await page.locator("#result-grid li").first().getAttribute("class")).toBe("result best");
    expect(await page.textContent("#best-pick .meta")).toMatch(/^candidate #3 · score -?\d\.\d{3} · /);
    expect(await page.isVisible("#rerank-note")).toBe(false);
    // The big picture is the display-size rendition, not the original.
    expect(await page.getAttribute("#best-pick img", "src")).toMatch(/\/previews\/[0-9a-f]{64}\.webp$/);
    await expect.poll(() => page.$eval("#best-pick img", (img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);

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
    expect(await page.textContent("#rerank-note")).toBe("In vector order: rerank with the LLM was off.");
    expect(await page.getAttribute("#rerank-note", "class")).toBe("notice");
    expect(await page.isVisible("#best-pick .explanation")).toBe(false);
    // Nothing was reranked, so no card claims to be the LLM's pick.
    expect(await page.locator("#result-grid .best-badge").count()).toBe(0);
    expect(stub.requests).toHaveLength(0);
    await page.check("#rerank");
  });

  it("shows an LLM failure as a notice a person sees, and badges no best pick", async () => {
    stub.script({ status: 500, error: { message: "the model is overloaded" } });
    try {
      await page.fill("#instruction", "phone case in this pattern");
      await page.evaluate(() => document.getElementById("best-pick")!.replaceChildren());
      await page.click("#search-button");
      await expect.poll(() => page.getAttribute("#rerank-note", "class")).toBe("notice warning");
      expect(await page.textContent("#best-pick .label")).toBe("Closest match");
      expect(await page.textContent("#rerank-note")).toMatch(/^The LLM did not rerank these, so they are in vector order: .+/);
      expect(await page.locator("#result-grid .best-badge").count()).toBe(0);
      await screenshot("web-demo-search-llm-failed.png");
    } finally {
      stub.script({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}` });
      await page.fill("#instruction", "phone case with this image theme");
    }
  });

  it("with a slow LLM, shows the vector hits at once and the LLM's pick when it comes; Stop keeps the vector order", async () => {
    stub.script({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}`, delayMs: 4000 });
    try {
      await page.fill("#instruction", "phone case, slowly");
      await page.evaluate(() => document.getElementById("best-pick")!.replaceChildren());
      await page.click("#search-button");
      // The hits are on screen while the LLM still thinks.
      await page.waitForSelector("#rerank-note.pending");
      expect(await page.textContent("#best-pick .label")).toBe("Closest match");
      expect(await page.locator("#result-grid li").count()).toBe(9);
      expect(await page.locator("#result-grid .rank").first().textContent()).toBe("#1");
      expect(await page.isEnabled("#search-button")).toBe(true);
      await screenshot("web-demo-search-llm-pending.png");
      await page.waitForSelector("#best-pick .explanation", { timeout: 15_000 });
      expect(await page.textContent("#best-pick .label")).toBe("Best pick");
      expect(await page.isVisible("#rerank-note")).toBe(false);

      // Again, but stop waiting: the vector order stays, and says so.
      await page.fill("#instruction", "phone case, slowly, stopped");
      await page.click("#search-button");
      await page.waitForSelector("#rerank-stop");
      await page.click("#rerank-stop");
      expect(await page.textContent("#rerank-note")).toBe("You stopped the LLM: these are in vector order.");
      await page.waitForTimeout(4500);
      expect(await page.textContent("#best-pick .label")).toBe("Closest match");
      expect(await page.isVisible("#best-pick .explanation")).toBe(false);
    } finally {
      stub.script({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}` });
      await page.fill("#instruction", "phone case with this image theme");
    }
  });

  it("explains a failed search in plain words", async () => {
    const broken = path.join(dir, "photo.jpg");
    await fs.writeFile(broken, "not an image at all");
    await page.setInputFiles("#query-file", broken);
    await page.click("#search-button");
    await page.waitForSelector("#search-error:not([hidden])");
    expect(await page.textContent("#search-error")).toBe("That file is not an image the server can read. Use a JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF picture.");
    // The last search's results are gone: under this error they would read as its results.
    expect(await page.isVisible("#search-results")).toBe(false);
  });

  it("pages through the catalogue, deletes an image, and searches with a catalogue image", async () => {
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.textContent("#catalogue-count")).toBe("31 images");
    expect(await page.locator("#catalogue-grid li").count()).toBe(24);
    expect(await page.textContent("#page-label")).toBe("Page 1 of 2");
    expect(await page.isDisabled("#prev-page")).toBe(true);

    // Next, from the bottom of a long page, opens the next page at its top, and the URL says which page.
    await page.locator("#next-page").scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(100);
    await page.click("#next-page");
    await expect.poll(() => page.textContent("#page-label")).toBe("Page 2 of 2");
    expect(page.url()).toMatch(/#catalogue\?page=2$/);
    await expect.poll(() => topOf("#catalogue-title")).toBeGreaterThan(-2);
    expect(await page.locator("#catalogue-grid li").count()).toBe(7);
    expect(await page.isDisabled("#next-page")).toBe(true);
    // A reload stays on page 2.
    await page.reload();
    await expect.poll(() => page.textContent("#page-label")).toBe("Page 2 of 2");
    expect(await page.locator("#catalogue-grid li").count()).toBe(7);

    // Pinned by id: a locator for "the first tile" would follow a re-render to another image.
    const id = await page.locator("#catalogue-grid li").first().getAttribute("data-image-id");
    const first = page.locator(`#catalogue-grid li[data-image-id="${id}"]`);
    await first.locator("button.danger").click();
    expect(await first.locator("button.danger").textContent()).toBe("Really delete?");
    await first.locator("button.danger").click();
    await expect.poll(() => page.textContent("#catalogue-count")).toBe("30 images");
    expect(await page.locator(`#catalogue-grid li[data-image-id="${id}"]`).count()).toBe(0);
    expect((await server.graphql(`query ($id: ID!) { image(id: $id) { id } }`, { id })).data!.image).toBeNull();

    await page.click("#prev-page");
    await expect.poll(() => page.textContent("#page-label")).toBe("Page 1 of 2");
    await screenshot("web-demo-catalogue.png");
    const itemId = await page.locator("#catalogue-grid li").first().getAttribute("data-image-id");
    const item = page.locator(`#catalogue-grid li[data-image-id="${itemId}"]`);
    const title = await item.locator(".title").textContent();
    await item.getByText("Search with this").click();
    await expect.poll(() => page.isVisible("#view-search")).toBe(true);
    expect(await page.textContent("#query-hint")).toBe(`${title} (drop or choose another)`);
    // The earlier search's results are still on the page: clear them to see this one's arrive.
    await page.evaluate(() => document.getElementById("best-pick")!.replaceChildren());
    stub.requests.length = 0;
    // A catalogue image as the query goes over searchComposedStream: the hits first, the LLM's pick last.
    stub.script({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}`, delayMs: 2000 });
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    try {
      await page.click("#search-button");
      await page.waitForSelector("#rerank-note.pending");
      expect(await page.textContent("#best-pick .label")).toBe("Closest match");
      await page.waitForSelector("#best-pick .explanation", { timeout: 15_000 });
      expect(await page.textContent("#best-pick .label")).toBe("Best pick");
      expect(await page.textContent("#best-pick .explanation")).toBe(REASONS);
      expect(stub.requests).toHaveLength(1);
      expect(sockets).toEqual([`${server.url.replace(/^http/, "ws")}/graphql`]);
    } finally {
      stub.script({ content: `Ranked list: [3, 1, 2]\nReasons: ${REASONS}` });
    }
  });

  it("lists the newest first, finds by title, and keeps both in the URL", async () => {
    const fresh = await server.upload(
      `mutation ($file: Upload!) { addImage(file: $file, metadata: { title: "leopard phone case" }) { image { id } } }`,
      {},
      { file: { bytes: await makeJpeg(777, 300, 200), name: "fresh.jpg", type: "image/jpeg" } },
    );
    const freshId = fresh.data!.addImage.image.id;
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.locator("#catalogue-grid li").first().getAttribute("data-image-id")).toBe(freshId);

    await page.fill("#catalogue-search", "seed 1");
    await expect.poll(() => page.textContent("#catalogue-count")).toMatch(/^\d+ images? with “seed 1” in the title$/);
    const titles = await page.locator("#catalogue-grid li .title").allTextContents();
    expect(titles.length).toBeGreaterThan(0);
    for (const title of titles) expect(title).toContain("seed 1");
    await page.selectOption("#catalogue-sort", "ID");
    await expect.poll(() => page.url()).toMatch(/#catalogue\?q=seed\+1&order=id$/);
    await page.reload();
    await expect.poll(() => page.inputValue("#catalogue-search")).toBe("seed 1");
    expect(await page.inputValue("#catalogue-sort")).toBe("ID");
    // The same images, in id order now.
    await expect.poll(async () => (await page.locator("#catalogue-grid li .title").allTextContents()).sort()).toEqual([...titles].sort());
    await page.goto(`${server.url}/#catalogue`);
  });

  it("shows an image's details in a side panel and saves its metadata", async () => {
    await page.goto(`${server.url}/#catalogue`);
    // Found by its title, not as the first tile: the grid can render twice while the page settles, and CI once
    // read the id from the first render's tile and clicked the second's.
    const item = page.locator("#catalogue-grid li").filter({ has: page.locator(".title", { hasText: /^leopard phone case$/ }) });
    await item.waitFor();
    const id = (await item.getAttribute("data-image-id"))!;
    await item.locator("button.details").click();
    await page.waitForSelector("#image-panel:not([hidden])");
    expect(await page.inputValue("#panel-field-title")).toBe("leopard phone case");
    expect(await page.getAttribute("#panel-image", "src")).toMatch(/\/previews\/[0-9a-f]{64}\.webp$/);
    await page.fill("#panel-field-title", "Leopard phone case, matte");
    await page.fill("#panel-field-category", "phone case");
    await page.fill("#panel-field-price", "not a price");
    await page.click("#panel-save");
    expect(await page.textContent("#panel-error")).toBe("Price must be a number, like 12.99.");
    await page.fill("#panel-field-price", "19.5");
    await page.fill("#panel-field-tags", "leopard, matte");
    await page.fill("#panel-field-other", '{"brand": "Acme"}');
    await page.click("#panel-save");
    await expect.poll(() => page.textContent("#panel-saved")).toBe("Saved.");
    const stored = await server.graphql(`query ($id: ID!) { image(id: $id) { metadata } }`, { id });
    expect(stored.data!.image.metadata).toEqual({ title: "Leopard phone case, matte", category: "phone case", price: 19.5, tags: ["leopard", "matte"], brand: "Acme" });
    await expect.poll(() => page.textContent(`#catalogue-grid li[data-image-id="${id}"] .title`)).toBe("Leopard phone case, matte");
    await screenshot("web-demo-catalogue-panel.png");
    await page.keyboard.press("Escape");
    expect(await page.isVisible("#image-panel")).toBe(false);
  });

  it("draws the latest filter's page when an older filter's answer arrives after it", async () => {
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.textContent("#catalogue-count")).toMatch(/^\d+ images$/);
    // The answer for "seed" is held back until the one for "matte" has been drawn.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/graphql", async (route) => {
      const slow = /"titleContains":"seed"/.test(route.request().postData() ?? "");
      const response = await route.fetch();
      if (slow) await held;
      await route.fulfill({ response });
    });
    try {
      await page.fill("#catalogue-search", "seed");
      await expect.poll(() => page.url()).toMatch(/q=seed$/);
      await page.fill("#catalogue-search", "matte");
      await expect.poll(() => page.textContent("#catalogue-count")).toBe("1 image with “matte” in the title");
      release();
      await page.waitForTimeout(500);
      expect(await page.textContent("#catalogue-count")).toBe("1 image with “matte” in the title");
      expect(await page.locator("#catalogue-grid li .title").allTextContents()).toEqual(["Leopard phone case, matte"]);
    } finally {
      release();
      await page.unroute("**/graphql");
      await page.fill("#catalogue-search", "");
    }
  });

  it("switches catalogues from the header once there is more than one", async () => {
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^\d+ images/);
    expect(await page.isVisible("#catalogue-switch")).toBe(false);
    const created = await server.graphql(`mutation { createCatalogue(name: "shoes") { name } }`);
    expect(created.errors).toBeUndefined();
    await page.reload();
    await expect.poll(() => page.isVisible("#catalogue-switch")).toBe(true);
    expect(await page.locator("#catalogue-switch option").allTextContents()).toEqual(expect.arrayContaining(["default", "shoes"]));
    await page.selectOption("#catalogue-switch", "shoes");
    await expect.poll(() => page.textContent("#catalogue-count")).toBe("0 images");
    await expect.poll(() => page.textContent("#server-status")).toMatch(/^0 images · /);
    await page.reload();
    // The options arrive with the catalogues query after load: wait for them, not just the element.
    await expect.poll(() => page.inputValue("#catalogue-switch")).toBe("shoes");
    await page.selectOption("#catalogue-switch", "default");
    await expect.poll(() => page.textContent("#catalogue-count")).toMatch(/^[1-9]\d* images$/);
  });

  it("fits a phone's screen", async () => {
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${server.url}/#search`);
    await page.setInputFiles("#query-file", path.join(dir, "query.jpg"));
    expect(await topOf("#search-button")).toBeLessThan(844);
    await page.click("#search-button");
    await page.waitForSelector("#best-pick .explanation");
    expect(await page.textContent("#search-button")).toBe("Search");
    // The results start below the form: the page scrolls to them.
    await expect.poll(() => topOf("#search-results")).toBeLessThan(844 / 2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot("web-demo-phone.png");
    await page.goto(`${server.url}/#catalogue`);
    await expect.poll(() => page.locator("#catalogue-grid li").count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot("web-demo-catalogue-phone.png");
    await page.goto(`${server.url}/#ingest`);
    await screenshot("web-demo-ingest-phone.png");
  });

  it("shows no script errors and trips no Content-Security-Policy rule", () => {
    expect(errors).toEqual([]);
  });
});
