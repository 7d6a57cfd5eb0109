// `mmrag serve` as a person starts it: the ready line says where the web demo is (the page to open first),
// where GraphQL is, and whether search will rerank with an LLM.
import fs from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir, testEnv } from "../support/server.js";
import { spawnCli } from "./support.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function readyLine(extra: Record<string, string>): Promise<string> {
  const dir = await tempDir("mmrag-cli-serve-");
  dirs.push(dir);
  const server = spawnCli(["serve", "--port", "0"], { env: { ...(await testEnv(dir)), LOG_LEVEL: "info", ...extra } });
  try {
    const until = Date.now() + 90_000;
    while (!/mmrag is ready/.test(server.output())) {
      if (Date.now() > until || server.child.exitCode !== null) throw new Error(`no ready line: ${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return JSON.parse(server.output().split("\n").find((line) => line.includes("mmrag is ready"))!).msg;
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
  }
}

describe("mmrag serve", () => {
  it("names the web demo's URL first, then GraphQL's, and says whether rerank is configured", async () => {
    const [off, on] = await Promise.all([readyLine({}), readyLine({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1" })]);
    expect(off).toMatch(/^mmrag is ready: web demo at http:\/\/127\.0\.0\.1:(\d+)\/ · GraphQL at http:\/\/127\.0\.0\.1:\1\/graphql · rerank: off \(set OPENAI_API_KEY/);
    expect(on).toMatch(/ · rerank: gpt-4o at http:\/\/127\.0\.0\.1:9\/v1$/);
  }, 180_000);
});
