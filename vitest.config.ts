import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One copy of graphql: Vite would pick index.mjs for our code while CommonJS dependencies load index.js.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql/index.js") }],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Servers and Milvus Lite children are started per file and stopped in afterAll.
    teardownTimeout: 30_000,
  },
});
