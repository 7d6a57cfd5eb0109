// A page on another site must not drive the API from a user's browser: the WebSocket upgrade checks Origin
// (same origin or CORS_ORIGINS), CORS follows the same list, and a Host the server does not serve (DNS
// rebinding) is refused rather than echoed into image URLs.
import http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const PARTNER = "https://partner.example";

/** Opens a graphql-ws socket with the given Origin; resolves with the HTTP status the upgrade got (101 when accepted). */
function upgradeStatus(baseUrl: string, origin: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", origin ? { origin } : {});
    socket.on("open", () => {
      socket.close();
      resolve(101);
    });
    socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.on("error", reject);
  });
}

function rawGet(baseUrl: string, pathname: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(pathname, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(JSON.stringify({ query: "{ images(first: 1) { nodes { url thumbnailUrl } } }" }));
  });
}

describe("cross-site requests", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: PARTNER } });
  });

  it("refuses a WebSocket from another site's page (any Origin was accepted)", async () => {
    expect(await upgradeStatus(server.url, "http://evil.example")).toBe(403);
  });

  it("accepts a WebSocket from the server's own pages, from CORS_ORIGINS, and from clients that send no Origin", async () => {
    expect(await upgradeStatus(server.url, server.url)).toBe(101);
    expect(await upgradeStatus(server.url, PARTNER)).toBe(101);
    expect(await upgradeStatus(server.url, undefined)).toBe(101);
  });

  it("answers CORS for CORS_ORIGINS only", async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" } });
    const partner = await preflight(PARTNER);
    expect(partner.headers.get("access-control-allow-origin")).toBe(PARTNER);
    expect(partner.headers.get("access-control-allow-headers")).toContain("authorization");
    const evil = await preflight("http://evil.example");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("Host header", () => {
  it("refuses a host name it does not serve (DNS rebinding), as JSON, and serves localhost and IP literals", async () => {
    const server = await startTestServer();
    const port = new URL(server.url).port;
    const evil = await rawGet(server.url, "/graphql", { host: `rebind.evil.example:${port}` });
    expect(evil.status).toBe(421);
    expect(JSON.parse(evil.body).errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await rawGet(server.url, "/graphql", { host: `localhost:${port}` })).status).toBe(200);
    expect(await upgradeStatus(server.url.replace("127.0.0.1", "localhost"), undefined)).toBe(101);
  });

  it("builds image URLs from PUBLIC_URL, never from the Host header, and serves PUBLIC_URL's host", async () => {
    const server = await startTestServer({ env: { PUBLIC_URL: "https://img.example.com" } });
    await server.upload("mutation ($file: Upload!) { addImage(file: $file) { created } }", {}, { file: { bytes: await makeJpeg(7), name: "a.jpg" } });
    const port = new URL(server.url).port;
    const res = await rawGet(server.url, "/graphql", { host: `img.example.com` });
    expect(res.status).toBe(200);
    const [node] = JSON.parse(res.body).data.images.nodes;
    expect(node.url).toMatch(/^https:\/\/img\.example\.com\/images\//);
    expect((await rawGet(server.url, "/graphql", { host: `other.example:${port}` })).status).toBe(421);
  });

  it("serves names listed in ALLOWED_HOSTS", async () => {
    const server = await startTestServer({ env: { ALLOWED_HOSTS: "mmrag.internal" } });
    const port = new URL(server.url).port;
    expect((await rawGet(server.url, "/graphql", { host: `mmrag.internal:${port}` })).status).toBe(200);
  });
});
