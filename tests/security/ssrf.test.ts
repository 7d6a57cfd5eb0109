// ingestUrls must not reach private or loopback hosts through IPv6 transition addresses, which carry an
// IPv4 address inside (NAT64, 6to4, IPv4-compatible, IPv4-translated).
import { beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";

const JOB = "id status errors { item code message }";

describe("SSRF through IPv6 transition forms", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { INGEST_URL_ALLOWLIST: "*", INGEST_URL_TIMEOUT_MS: "1000" } });
  });

  async function finished(id: string) {
    for (;;) {
      const job = (await server.graphql(`query($id: ID!) { ingestJob(id: $id) { ${JOB} } }`, { id })).data!.ingestJob;
      if (!["QUEUED", "RUNNING"].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("refuses each as a private address, judged by the IPv4 address inside", async () => {
    const urls = [
      "http://[64:ff9b::7f00:1]/a.jpg", // NAT64 of 127.0.0.1
      "http://[64:ff9b::a9fe:a9fe]/latest/meta-data", // NAT64 of 169.254.169.254
      "http://[2002:a00:1::1]/a.jpg", // 6to4 of 10.0.0.1
      "http://[::127.0.0.1]/a.jpg", // IPv4-compatible
      "http://[::ffff:0:127.0.0.1]/a.jpg", // IPv4-translated
      "http://[::ffff:c0a8:101]/a.jpg", // IPv4-mapped 192.168.1.1, in hex
    ];
    const res = await server.graphql(`mutation($urls: [String!]!) { ingestUrls(urls: $urls) { id } }`, { urls });
    expect(res.errors).toBeUndefined();
    const job = await finished(res.data!.ingestUrls.id);
    expect(job.status).toBe("FAILED");
    expect(job.errors).toHaveLength(urls.length);
    for (const e of job.errors) expect(e).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/private or loopback address/) });
  });
});
