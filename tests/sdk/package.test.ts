// The published package: npm pack in sdk/, installed into an empty project, used by a plain Node.js script,
// type-checked as a TypeScript consumer, and its browser entry free of Node.js modules.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, type TestServer } from "../support/server.js";
import { packSdk } from "./support.js";

const run = promisify(execFile);
let server: TestServer;
let project: string;

beforeAll(async () => {
  project = await tempDir("mmrag-sdk-consumer-");
  const [tarball, started] = await Promise.all([packSdk(project), startTestServer()]);
  server = started;
  await fs.writeFile(path.join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // graphql is a peer dependency; ws is the optional one that subscriptions need on Node.js 20.
  await run("npm", ["install", tarball, "graphql@^16", "ws@^8", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project, timeout: 120_000 });
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (project) await fs.rm(project, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships the built entries, the schema and the operations, and nothing else", async () => {
    const installed = path.join(project, "node_modules/@mmrag/sdk");
    const files = (await fs.readdir(installed, { recursive: true })).sort();
    expect(files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/browser.js", "dist/error-codes.js", "dist/error-codes.d.ts", "schema.graphql", "operations/search.graphql", "README.md", "package.json"]));
    expect(files.filter((f) => f.startsWith("src") || f.startsWith("scripts") || f.includes("tsconfig"))).toEqual([]);
  });

  it("works from a plain Node.js script in an empty project: ingest with progress, search by path, typed errors", async () => {
    const image = path.join(project, "leopard.jpg");
    await fs.writeFile(image, await makeJpeg(42));
    await fs.writeFile(path.join(project, "poster.jpg"), await makeJpeg(43));
    await fs.writeFile(
      path.join(project, "consumer.mjs"),
      `import { createClient, SdkError, ERROR_CODES } from "@mmrag/sdk";
import { readFile } from "node:fs/promises";
const [url, image] = process.argv.slice(2);
const client = createClient({ url });
const progress = [];
const job = await client.ingestAndWait([image, await readFile("poster.jpg")], { metadata: [{ title: "leopard" }, { title: "poster" }], onProgress: (s) => progress.push(s.status) });
const result = await client.searchComposed({ image, instruction: "phone case with this image theme", limit: 1, rerank: false });
let code;
try { await client.deleteImage({ id: "nope" }); } catch (error) { code = error instanceof SdkError ? error.code : String(error); }
await client.close();
console.log(JSON.stringify({ job, progress, best: result.best.image.metadata, code, codes: ERROR_CODES }));
`,
    );
    const { stdout } = await run(process.execPath, ["consumer.mjs", `${server.url}/graphql`, image], { cwd: project, timeout: 60_000 });
    const out = JSON.parse(stdout);
    expect(out.job).toMatchObject({ status: "SUCCEEDED", total: 2, succeeded: 2, failed: 0 });
    expect(out.progress.at(-1)).toBe("SUCCEEDED");
    expect(out.best).toEqual({ title: "leopard" });
    expect(out.code).toBe("NOT_FOUND");
    expect(out.codes).toContain("UNSUPPORTED_MEDIA_TYPE");
  });

  it("type-checks a TypeScript consumer against the published declarations, without Node.js types", async () => {
    await fs.writeFile(
      path.join(project, "consumer.ts"),
      `import { createClient, isSdkError, type ErrorCode, type RankedResult, type IngestJob } from "@mmrag/sdk";
import { createClient as createBrowserClient } from "@mmrag/sdk/browser";
import { ERROR_CODES } from "@mmrag/sdk/error-codes";
const client = createClient({ url: "http://localhost:4000/graphql", apiKey: "k" });
export async function demo(file: Blob): Promise<[RankedResult, IngestJob, ErrorCode]> {
  const result = await client.searchComposed({ image: file, instruction: "x", limit: 3, rerank: false, filter: { metadata: { category: "poster" } } });
  const score: number = result.hits[0].score;
  const job = await client.ingestAndWait([file, new Uint8Array(3)], { onProgress: (j) => j.processed + score });
  for await (const state of createBrowserClient({ url: "/graphql" }).ingestProgress(job.id)) if (state.status === "SUCCEEDED") break;
  // @ts-expect-error instruction is required
  await client.searchComposed({ image: file });
  return [result, job, ERROR_CODES[0]];
}
export const handled = (e: unknown) => (isSdkError(e, "NOT_FOUND") ? e.path : undefined);
`,
    );
    await fs.writeFile(
      path.join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", lib: ["ES2022", "DOM", "DOM.AsyncIterable"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [], skipLibCheck: true }, files: ["consumer.ts"] }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const checked = await run(process.execPath, [tsc, "-p", project], { cwd: project }).then(() => "", (e: { stdout: string }) => e.stdout);
    expect(checked).toBe("");
  });

  it("has a browser entry that imports no Node.js module, directly or through its own files", async () => {
    const installed = path.join(project, "node_modules/@mmrag/sdk");
    const pkg = JSON.parse(await fs.readFile(path.join(installed, "package.json"), "utf8"));
    expect(pkg.exports["."].browser).toBe("./dist/browser.js");
    const seen = new Set<string>();
    const imports: string[] = [];
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await fs.readFile(file, "utf8");
      for (const [, specifier] of source.matchAll(/\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        if (specifier.startsWith(".")) await visit(path.resolve(path.dirname(file), specifier));
        else imports.push(specifier);
      }
    };
    await visit(path.join(installed, pkg.exports["."].browser));
    expect(seen.size).toBeGreaterThan(3);
    expect([...new Set(imports)].sort()).toEqual(["graphql", "graphql-ws/client"]);
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", 'const m = await import("@mmrag/sdk/browser"); console.log(typeof m.createClient, m.ERROR_CODES.length)'], { cwd: project });
    expect(stdout.trim()).toMatch(/^function \d+$/);
  });
});
