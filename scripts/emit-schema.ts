// Writes sdk/schema.graphql from the type-graphql classes (npm run schema); --check fails when it is stale.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { printAppSchema } from "../src/graphql/print-schema.js";

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../sdk/schema.graphql");
const printed = await printAppSchema();

if (process.argv.includes("--check")) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (current !== printed) {
    console.error("sdk/schema.graphql is stale: run `npm run schema` and commit the result.");
    process.exit(1);
  }
  console.log("sdk/schema.graphql is up to date.");
} else {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, printed);
  console.log(`Wrote ${path.relative(process.cwd(), target)}`);
}
