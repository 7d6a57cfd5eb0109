// `npm start` runs in production unless told otherwise: no stack traces, and one setting (GRAPHQL_PLAYGROUND)
// for GraphiQL and introspection on both transports. A server reachable from other machines needs keys.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { startTestServer } from "../support/server.js";
import { collect, wsClient } from "../support/ws-client.js";
import { codes, post } from "./support.js";

const INTROSPECTION = "{ __schema { queryType { name } } }";

describe("production defaults", () => {
  it("is production when NODE_ENV is unset", () => {
    expect(loadConfig({}).env).toBe("production");
    // The playground is there for a first run on loopback, and off once the server is reachable from other machines.
    expect(loadConfig({}).http.playground).toBe(true);
    expect(loadConfig({ HOST: "0.0.0.0", ALLOW_ANONYMOUS: "true" }).http.playground).toBe(false);
    expect(loadConfig({ HOST: "0.0.0.0", ALLOW_ANONYMOUS: "true", GRAPHQL_PLAYGROUND: "true" }).http.playground).toBe(true);
    expect(loadConfig({ NODE_ENV: "development", HOST: "0.0.0.0", ALLOW_ANONYMOUS: "true" }).http.playground).toBe(true);
  });

  it("in production with the playground off (a server others can reach): no stack traces, no introspection over HTTP or graphql-ws, no GraphiQL page", async () => {
    const server = await startTestServer({ env: { NODE_ENV: "production", GRAPHQL_PLAYGROUND: "false" } });
    const notFound = await post(server.url, "{ image(id: 12) { id } }");
    expect(JSON.stringify(notFound.body)).not.toContain("stacktrace");
    const bad = await post(server.url, "{ nope }");
    expect(bad.body.errors![0].extensions).not.toHaveProperty("stacktrace");

    const refused = codes(await post(server.url, INTROSPECTION));
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
    const client = wsClient(server.url);
    try {
      const { events, errors } = await collect(client, INTROSPECTION, {});
      expect(events).toEqual([]);
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set((errors as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code))).toEqual(new Set(["GRAPHQL_VALIDATION_FAILED"]));
    } finally {
      await client.dispose();
    }
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: "text/html" } });
    expect(page.headers.get("content-type") ?? "").not.toMatch(/text\/html/);
  });

  it("GRAPHQL_PLAYGROUND=true turns introspection on for both transports together", async () => {
    const server = await startTestServer({ env: { NODE_ENV: "production", GRAPHQL_PLAYGROUND: "true" } });
    expect((await post(server.url, INTROSPECTION)).body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const client = wsClient(server.url);
    try {
      expect((await collect(client, INTROSPECTION, {})).events).toEqual([{ __schema: { queryType: { name: "Query" } } }]);
    } finally {
      await client.dispose();
    }
  });

  it("refuses to start beyond loopback without API_KEYS_FILE, and says what to do", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(/API_KEYS_FILE.*\n.*ALLOW_ANONYMOUS=true/s);
    expect(loadConfig({ HOST: "0.0.0.0", ALLOW_ANONYMOUS: "true" }).http.host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0", API_KEYS_FILE: "keys.json" }).auth.apiKeysFile).toMatch(/keys\.json$/);
    expect(loadConfig({ HOST: "::1" }).http.host).toBe("::1");
  });
});
