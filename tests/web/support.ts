// Browser tests: the web bundle built once per source change (whatever the number of test files asking at
// once), and headless Chromium from Debian's package driven by playwright-core.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildWebIfChanged } from "../../web/build.js";
import { buildSdk } from "../sdk/support.js";
import { withDirLock } from "../support/dir-lock.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS_DIR = path.join(REPO, "test-artifacts");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  await fs.access(CHROMIUM).catch(() => {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`);
  });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
}

/** Collects what a person would see in the devtools console as errors: script errors and blocked loads (CSP). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Builds the SDK and dist/web unless dist/web was built from the current sources. */
export async function ensureWebBuilt(): Promise<void> {
  await buildSdk();
  await withDirLock("mmrag-web-build", REPO, async () => {
    await buildWebIfChanged();
  });
}
