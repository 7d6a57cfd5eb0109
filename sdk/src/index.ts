// The Node.js entry: the browser API plus uploads from file paths and the `ws` package for subscriptions,
// both loaded only when first needed, so this file also runs anywhere a bundler sends it.
import { createClientFor, type ClientOptions, type MmragClient, type Platform } from "./client.js";

export * from "./exports.js";

const node: Platform = {
  async readPath(path) {
    const fs = await import("node:fs");
    await fs.promises.access(path, fs.constants.R_OK);
    // openAsBlob streams the file into the request instead of holding it in memory.
    return typeof fs.openAsBlob === "function" ? fs.openAsBlob(path) : new Blob([await fs.promises.readFile(path)]);
  },
  async loadWebSocket() {
    // `ws` is an optional peer dependency, needed only for subscriptions on Node.js before 22 (no global WebSocket).
    const name = "ws";
    try {
      const ws = await import(name);
      return ws.WebSocket ?? ws.default;
    } catch {
      return undefined;
    }
  },
};

/** A client for the mmrag GraphQL API at `options.url`. */
export function createClient(options: ClientOptions): MmragClient {
  return createClientFor(node, options);
}
