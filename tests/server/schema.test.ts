import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { printAppSchema } from "../../src/graphql/print-schema.js";

describe("the committed schema", () => {
  it("matches the type-graphql classes (run `npm run schema` after changing the API)", async () => {
    const committed = fs.readFileSync(new URL("../../sdk/schema.graphql", import.meta.url), "utf8");
    expect(committed).toBe(await printAppSchema());
  });

  it("models Image, SearchHit and RankedResult for clients from the start", async () => {
    const sdl = await printAppSchema();
    for (const type of ["type Image ", "type SearchHit ", "type RankedResult ", "type Stats ", "scalar Upload"]) expect(sdl).toContain(type);
  });
});
