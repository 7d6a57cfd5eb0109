// Where the bundled web pages live (dist/web, written by `npm run build:web`) and how a page is sent.
import fs from "node:fs";
import path from "node:path";
import type { Response } from "express";
import { REPO_ROOT } from "../model-tooling/repo-paths.js";

export const WEB_DIR = path.join(REPO_ROOT, "dist", "web");

/**
 * The pages load only their own bundle and talk only to this server (HTTP and graphql-ws), so anything else
 * is refused. Inline styles stay allowed: GraphiQL and the demo set element styles from script.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

/** Sends a page of the bundle; until the bundle is built, a plain page that says how to build it. */
export function sendPage(res: Response, dir: string, page: string): void {
  const file = path.join(dir, page);
  if (!fs.existsSync(file)) {
    res
      .status(503)
      .type("text/plain")
      .send(`The web pages are not built yet. Run \`npm run build:web\` (\`npm start\` builds them too), then reload.\n`);
    return;
  }
  // no-cache: the bundle keeps its file names across builds, so the browser revalidates instead of guessing.
  res.sendFile(file, { headers: { "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CONTENT_SECURITY_POLICY } });
}
