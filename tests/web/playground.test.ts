// GET /graphql in a browser: GraphiQL served by the server itself (no request leaves its origin), with the
// example operations, and a subscription run over graphql-ws.
import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { loadBuiltSdk } from "../sdk/support.js";
import { ARTIFACTS_DIR, ensureWebBuilt, launchBrowser, pageErrors } from "./support.js";

let server: TestServer;
let browser: Browser;
let page: Page;
let errors: string[] = [];
let jobId: string;
const requested: string[] = [];
const sockets: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser(), ensureWebBuilt()]);
  const client = (await loadBuiltSdk()).createClient({ url: `${server.url}/graphql` });
  const job = await client.ingestAndWait([await makeJpeg(1), await makeJpeg(2)]);
  jobId = job.id;
  await client.close();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  errors = pageErrors(page);
  page.on("request", (request) => requested.push(request.url()));
  page.on("websocket", (socket) => sockets.push(socket.url()));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The text of a GraphiQL editor, from its CodeMirror instance (the DOM holds line numbers too). */
function editorText(selector: string): Promise<string> {
  return page.$eval(`${selector} .CodeMirror`, (element) => (element as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
}

describe("the GraphQL playground", () => {
  it("loads from the server alone, with the example operations", async () => {
    const response = await page.goto(`${server.url}/graphql`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
    await page.waitForSelector(".graphiql-container .graphiql-tab", { timeout: 30_000 });
    const tabs = await page.locator(".graphiql-tab .graphiql-tab-button").allTextContents();
    expect(tabs.map((t) => t.trim())).toEqual(["SearchComposed", "IngestProgress", "Catalogue"]);
    expect(await editorText(".graphiql-query-editor")).toMatch(/searchComposed\(\s*imageId: "[0-9a-f]{64}"\s*instruction: "phone case with this image theme"/);
    await page.waitForLoadState("networkidle");

    const origin = new URL(server.url).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"))).toEqual([]);
    await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, "playground.png") });
  });

  it("runs the searchComposed example as it is", async () => {
    await page.click(".graphiql-execute-button");
    await expect.poll(() => page.locator(".result-window").textContent(), { timeout: 15_000 }).toContain('"searchComposed"');
    const result = await page.locator(".result-window").textContent();
    expect(result).toContain('"explanation"');
    expect(result).not.toContain('"errors"');
  });

  it("runs the ingestProgress example over graphql-ws, on the same origin", async () => {
    await page.locator(".graphiql-tab-button", { hasText: "IngestProgress" }).click();
    await expect.poll(() => editorText(".graphiql-query-editor")).toContain("subscription IngestProgress");
    expect(JSON.parse(await editorText(".graphiql-editor-tool .graphiql-editor"))).toEqual({ jobId });
    // GraphiQL works out the operation's name from the editor a moment after the tab switch.
    await page.waitForTimeout(1000);
    await page.click(".graphiql-execute-button");
    await expect.poll(() => page.locator(".result-window").textContent(), { timeout: 15_000 }).toContain('"status": "SUCCEEDED"');
    expect(await page.locator(".result-window").textContent()).toContain(`"id": "${jobId}"`);
    expect(sockets).toEqual([`${server.url.replace(/^http/, "ws")}/graphql`]);
  });

  it("is usable on a phone: the editor and the response stacked, each the screen's width", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phoneErrors = pageErrors(phone);
    try {
      await phone.goto(`${server.url}/graphql`);
      await phone.waitForSelector(".graphiql-container .graphiql-tab", { timeout: 30_000 });
      await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
      await phone.screenshot({ path: path.join(ARTIFACTS_DIR, "playground-phone.png") });
      const box = (selector: string) => phone.$eval(selector, (el) => el.getBoundingClientRect().toJSON() as DOMRect);
      const [editor, response] = await Promise.all([box(".graphiql-query-editor"), box(".graphiql-response")]);
      expect(editor.width).toBeGreaterThan(390 * 0.7);
      expect(response.width).toBeGreaterThan(390 * 0.7);
      expect(response.top).toBeGreaterThanOrEqual(editor.bottom - 1);
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.click(".graphiql-execute-button");
      await expect.poll(() => phone.locator(".result-window").textContent(), { timeout: 15_000 }).toContain('"searchComposed"');
      await phone.screenshot({ path: path.join(ARTIFACTS_DIR, "playground-phone-result.png") });
      expect(phoneErrors).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it("leaves GraphQL requests to Apollo", async () => {
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent("{ stats { images } }")}`, { headers: { accept: "text/html, application/json", "apollo-require-preflight": "true" } });
    expect(await get.json()).toEqual({ data: { stats: { images: 2 } } });
    const json = await fetch(`${server.url}/graphql`, { headers: { accept: "application/json" } });
    expect(json.headers.get("content-type")).not.toMatch(/html/);
    const slash = await fetch(`${server.url}/graphql/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(slash.status).toBe(308);
    expect(slash.headers.get("location")).toBe("/graphql");
  });

  it("shows no script errors and trips no Content-Security-Policy rule", () => {
    expect(errors).toEqual([]);
  });
});
