import { lexicographicSortSchema, printSchema } from "graphql";
import { buildAppSchema } from "./build-schema.js";

/** The schema as committed in sdk/schema.graphql: sorted, so the file only changes when the API does. */
export async function printAppSchema(): Promise<string> {
  const sdl = printSchema(lexicographicSortSchema(await buildAppSchema()));
  return `# Generated from the type-graphql classes in src/schema by \`npm run schema\`. Do not edit.\n\n${sdl}\n`;
}
