// Browser tests: the web bundle built once per source change (whatever the number of test files asking at
// once), and headless Chromium from Debian's package driven by playwright-core.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { buildWeb, WEB_OUT_DIR } from "../../web/build.js";
import { buildSdk } from "../sdk/support.js";
import { withDirLock } from "../support/dir-lock.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ARTIFACTS_DIR = path.join(REPO, "test-artifacts");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STAMP = path.join(WEB_OUT_DIR, ".source-hash");

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
  const hash = await sourceHash();
  if ((await fs.readFile(STAMP, "utf8").catch(() => "")) === hash) return;
  await withDirLock("mmrag-web-build", REPO, async () => {
    if ((await fs.readFile(STAMP, "utf8").catch(() => "")) === hash) return;
    await buildWeb();
    await fs.writeFile(STAMP, hash);
  });
}

async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const dir of ["web", "sdk/dist"]) {
    const files = (await fs.readdir(path.join(REPO, dir), { recursive: true })).sort();
    for (const file of files) {
      const full = path.join(REPO, dir, file);
      if ((await fs.stat(full)).isFile()) hash.update(`${dir}/${file}`).update(await fs.readFile(full));
    }
  }
  return hash.digest("hex");
}
