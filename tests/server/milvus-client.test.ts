// A Milvus client made before Milvus listens (the start-up probe does this every time) must not leave the SDK's
// constructor handshake as an unhandled rejection: under load it failed whole test runs and would crash a server.
import getPort from "get-port";
import { afterEach, describe, expect, it } from "vitest";
import { openMilvusClient } from "../../src/services/milvus/milvus-client.js";

const seen: unknown[] = [];
const record = (reason: unknown) => seen.push(reason);
afterEach(() => {
  process.off("unhandledRejection", record);
});

describe("openMilvusClient", () => {
  it("leaves no unhandled rejection when nothing listens, while its calls still fail", async () => {
    process.on("unhandledRejection", record);
    const client = openMilvusClient({ address: `127.0.0.1:${await getPort()}`, timeout: 1000, logLevel: "error" });
    await expect(client.listCollections()).rejects.toBeDefined();
    await client.closeConnection().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(seen).toEqual([]);
  });
});
