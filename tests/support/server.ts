// Starts the real app (real Milvus Lite child, real HTTP on a free port, generated tiny model) for a test
// file, and talks to it the way clients do: JSON POSTs, multipart uploads, graphql-ws.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createApp, GRAPHQL_PATH, type App } from "../../src/app.js";
import { loadConfig, type Env } from "../../src/config.js";
import { ensureGeneratedModel } from "./models.js";

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
}

export interface TestServer {
  app: App;
  url: string;
  dataDir: string;
  graphql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** A multipart request as the GraphQL multipart request spec and Apollo's CSRF rules want it. */
  upload<T = Record<string, any>>(query: string, variables: Record<string, unknown>, files: Record<string, { bytes: Buffer; name: string; type?: string }>): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

const leftovers: TestServer[] = [];
afterAll(async () => {
  while (leftovers.length > 0) await leftovers.pop()!.close();
});

export async function tempDir(prefix = "mmrag-test-"): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** The env a test server runs with; tests can build the app from it themselves to check start-up failures. */
export async function testEnv(dataDir: string, env: Env = {}): Promise<Env> {
  const modelDir = await ensureGeneratedModel((env.TEST_MODEL as "vbge-tiny" | "clip-tiny" | undefined) ?? "vbge-tiny");
  return {
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    HOST: "127.0.0.1",
    PORT: "0",
    DATA_DIR: dataDir,
    MODELS_DIR: path.dirname(modelDir),
    MODEL: path.basename(modelDir),
    ...env,
  };
}

export async function startTestServer(options: { dataDir?: string; env?: Env } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await tempDir());
  const config = loadConfig(await testEnv(dataDir, options.env));
  const app = await createApp(config);
  const url = await app.listen();
  let closed = false;
  const server: TestServer = {
    app,
    url,
    dataDir,
    async graphql(query, variables) {
      const res = await fetch(`${url}${GRAPHQL_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<any>;
    },
    async upload(query, variables, files) {
      const form = new FormData();
      const map: Record<string, string[]> = {};
      Object.keys(files).forEach((variable, i) => (map[String(i)] = [`variables.${variable}`]));
      form.append("operations", JSON.stringify({ query, variables: { ...variables, ...Object.fromEntries(Object.keys(files).map((k) => [k, null])) } }));
      form.append("map", JSON.stringify(map));
      Object.values(files).forEach((file, i) => form.append(String(i), new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "application/octet-stream" }), file.name));
      const res = await fetch(`${url}${GRAPHQL_PATH}`, { method: "POST", headers: { "apollo-require-preflight": "true" }, body: form });
      return (await res.json()) as GraphQLResponse<any>;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
  leftovers.push(server);
  return server;
}
