// The Milvus image collection across versions and under concurrency: collections made by earlier
// releases (with a content_hash column) keep working, and concurrent lookups each get their own answer.
import { describe, expect, it } from "vitest";
import { makeJpeg } from "../support/images.js";
import { dataDirWithOldCollection } from "../support/old-collection.js";
import { startTestServer } from "../support/server.js";

const ADD = /* GraphQL */ `
  mutation Add($file: Upload!, $metadata: JSONObject) {
    addImage(file: $file, metadata: $metadata) { created image { id metadata } }
  }
`;

describe("a collection made by an earlier release", () => {
  it("still takes new images, finds them and lists them", async () => {
    // The collection as releases before the vector-store split made it: with content_hash.
    const dataDir = await dataDirWithOldCollection({ contentHash: true });

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
