// The Milvus image collection across versions and under concurrency: collections made by earlier
// releases (with a content_hash column) keep working, and concurrent lookups each get their own answer.
import { DataType } from "@zilliz/milvus2-sdk-node";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { MilvusConnection } from "../../src/services/milvus/milvus.connection.js";
import { makeJpeg } from "../support/images.js";
import { startTestServer, tempDir, testEnv } from "../support/server.js";

const ADD = /* GraphQL */ `
  mutation Add($file: Upload!, $metadata: JSONObject) {
    addImage(file: $file, metadata: $metadata) { created image { id metadata } }
  }
`;

describe("a collection made by an earlier release", () => {
  it("still takes new images, finds them and lists them", async () => {
    const dataDir = await tempDir();
    const config = loadConfig(await testEnv(dataDir));
    const first = await startTestServer({ dataDir });
    const dimension = first.app.services.embedder.info.dimension;
    await first.close();

    // Recreate the collection the way releases before the vector-store split did: with content_hash.
    const connection = await MilvusConnection.open(config.milvus, createLogger(config));
    try {
      const name = config.milvus.collection;
      await connection.call("dropCollection", (c) => c.dropCollection({ collection_name: name }));
      await connection.call("createCollection", (c) =>
        c.createCollection({
          collection_name: name,
          fields: [
            { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
            { name: "vector", data_type: DataType.FloatVector, dim: dimension },
            { name: "content_hash", data_type: DataType.VarChar, max_length: 64 },
            { name: "storage_key", data_type: DataType.VarChar, max_length: 512 },
            { name: "width", data_type: DataType.Int32 },
            { name: "height", data_type: DataType.Int32 },
            { name: "format", data_type: DataType.VarChar, max_length: 16 },
            { name: "bytes", data_type: DataType.Int64 },
            { name: "metadata", data_type: DataType.JSON },
            { name: "created_at", data_type: DataType.Int64 },
          ],
        }),
      );
    } finally {
      await connection.close();
    }

    const server = await startTestServer({ dataDir });
    const bytes = await makeJpeg(3);
    const added = await server.upload(ADD, { metadata: { title: "old collection" } }, { file: { bytes, name: "old.jpg", type: "image/jpeg" } });
    expect(added.errors).toBeUndefined();
    const id = added.data!.addImage.image.id;
    const found = await server.graphql(`query($id: ID!) { image(id: $id) { id metadata } }`, { id });
    expect(found.data!.image).toEqual({ id, metadata: { title: "old collection" } });
    const listed = await server.graphql(`{ images(first: 10) { totalCount edges { node { id } } } }`);
    expect(listed.data!.images.totalCount).toBe(1);
    expect(listed.data!.images.edges[0].node.id).toBe(id);
    await server.close();
  });
});

describe("lookups by id", () => {
  it("answer each of many concurrent lookups with its own record, or nothing for an unknown id", async () => {
    const server = await startTestServer();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await server.upload(ADD, { metadata: { n: i } }, { file: { bytes: await makeJpeg(100 + i), name: `${i}.jpg`, type: "image/jpeg" } });
      ids.push(res.data!.addImage.image.id);
    }
    const unknown = "0".repeat(64);
    const asked = [...ids, unknown, ...ids.slice().reverse(), ids[0]];
    const answers = await Promise.all(asked.map((id) => server.graphql(`query($id: ID!) { image(id: $id) { id metadata } }`, { id })));
    answers.forEach((res, i) => {
      expect(res.errors).toBeUndefined();
      if (asked[i] === unknown) expect(res.data!.image).toBeNull();
      else expect(res.data!.image).toEqual({ id: asked[i], metadata: { n: ids.indexOf(asked[i]) } });
    });
    await server.close();
  });
});
