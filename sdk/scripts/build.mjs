// Builds dist/ (npm run build; npm pack runs it too): tsc for src/*.ts, then error-codes.js and its .d.ts as they
// are, because the server imports that pair straight from src/.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json")], { stdio: "inherit" });
for (const file of ["error-codes.js", "error-codes.d.ts"]) fs.copyFileSync(path.join(root, "src", file), path.join(dist, file));
