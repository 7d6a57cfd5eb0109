// ingestUrls against a real HTTP image host on loopback: allowlist, private-address refusal, redirects,
// size and time limits, each failure alone with its reason.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPrivateAddress } from "../../src/services/ingest/url-source.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, type TestServer } from "../support/server.js";

const JOB = "id status kind total succeeded skipped failed errors { item code message }";
const INGEST_URLS = `mutation($urls: [String!]!, $metadata: [JSONObject]) { ingestUrls(urls: $urls, metadata: $metadata) { ${JOB} } }`;

let host: http.Server;
let origin: string;
const images = new Map<string, Buffer>();
const stopped: TestServer[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) images.set(`/img${i}.jpg`, await makeJpeg(300 + i));
  images.set("/big.jpg", await makeJpeg(310, 1600, 1200));
  host = http.createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/moved") return res.writeHead(302, { location: "/img2.jpg" }).end();
    if (url === "/slow.jpg") return void setTimeout(() => res.end(images.get("/img0.jpg")), 3000);
    const body = images.get(url);
    if (!body) return res.writeHead(404).end("no such image");
    res.writeHead(200, { "content-type": "image/jpeg", "content-length": body.length }).end(body);
  });
  await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of stopped) await s.close();
  host.closeAllConnections();
  await new Promise((r) => host.close(r));
});

async function server(env: Record<string, string>) {
  const s = await startTestServer({ env });
  stopped.push(s);
  return s;
}

async function finished(s: TestServer, id: string) {
  for (;;) {
    const job = (await s.graphql(`query($id: ID!) { ingestJob(id: $id) { ${JOB} } }`, { id })).data!.ingestJob;
    if (!["QUEUED", "RUNNING"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("ingestUrls", () => {
  it("fetches listed hosts, follows redirects, and fails a 404, an oversize image and a slow host alone", async () => {
    const s = await server({ INGEST_URL_ALLOWLIST: "127.0.0.1", INGEST_URL_TIMEOUT_MS: "500", INGEST_URL_MAX_BYTES: String(images.get("/img0.jpg")!.length * 3) });
    expect(images.get("/big.jpg")!.length).toBeGreaterThan(images.get("/img0.jpg")!.length * 3);
    const urls = ["/img0.jpg", "/img1.jpg", "/moved", "/missing.jpg", "/big.jpg", "/slow.jpg"].map((p) => origin + p);
    const res = await s.graphql(INGEST_URLS, { urls, metadata: [{ title: "first" }, null, null, null, null, null] });
    expect(res.errors).toBeUndefined();
    expect(res.data!.ingestUrls).toMatchObject({ kind: "urls", total: 6 });

    const job = await finished(s, res.data!.ingestUrls.id);
    expect(job).toMatchObject({ status: "PARTIAL", succeeded: 3, failed: 3 });
    const byItem = Object.fromEntries(job.errors.map((e: any) => [e.item, e]));
    expect(byItem[`${origin}/missing.jpg`]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringContaining("HTTP 404") });
    expect(byItem[`${origin}/big.jpg`]).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(byItem[`${origin}/slow.jpg`]).toMatchObject({ code: "BAD_USER_INPUT", message: expect.stringContaining("within 500 ms") });

    const nodes = (await s.graphql(`{ images(first: 10) { nodes { id metadata } } }`)).data!.images.nodes;
    expect(nodes).toHaveLength(3);
    expect(nodes.map((n: any) => n.metadata.sourceUrl).sort()).toEqual([`${origin}/img0.jpg`, `${origin}/img1.jpg`, `${origin}/moved`]);
    expect(nodes.find((n: any) => n.metadata.sourceUrl === `${origin}/img0.jpg`).metadata.title).toBe("first");
  });

  it("refuses loopback and private addresses unless listed by name, per item", async () => {
    const s = await server({ INGEST_URL_ALLOWLIST: "*" });
    const res = await s.graphql(INGEST_URLS, { urls: [`${origin}/img0.jpg`, origin.replace("127.0.0.1", "localhost") + "/img1.jpg"] });
    const job = await finished(s, res.data!.ingestUrls.id);
    expect(job).toMatchObject({ status: "FAILED", succeeded: 0, failed: 2 });
    for (const e of job.errors) expect(e).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/private or loopback address/) });
  });

  it("refuses hosts outside the allowlist, bad URLs, and everything when the allowlist is empty, before any job starts", async () => {
    const listed = await server({ INGEST_URL_ALLOWLIST: "images.example.com,*.cdn.example.net" });
    const code = async (s: TestServer, urls: string[]) => (await s.graphql(INGEST_URLS, { urls })).errors?.[0]?.extensions?.code;
    expect(await code(listed, ["https://images.example.com/a.jpg", "https://evil.example.org/b.jpg"])).toBe("FORBIDDEN");
    expect(await code(listed, ["ftp://images.example.com/a.jpg"])).toBe("BAD_USER_INPUT");
    expect(await code(listed, ["not a url"])).toBe("BAD_USER_INPUT");
    expect(await code(listed, ["https://user:pw@images.example.com/a.jpg"])).toBe("BAD_USER_INPUT");
    expect((await listed.graphql(`{ ingestJobs { id } }`)).data!.ingestJobs).toEqual([]);

    const off = await server({});
    const res = await off.graphql(INGEST_URLS, { urls: [`${origin}/img0.jpg`] });
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, message: expect.stringContaining("INGEST_URL_ALLOWLIST") });
  });

  it("knows which addresses are private", () => {
    for (const a of ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "151.101.1.1", "2606:4700::1111", "::ffff:8.8.8.8"]) expect(isPrivateAddress(a), a).toBe(false);
  });
});
