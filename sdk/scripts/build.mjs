// Builds dist/ (npm run build; npm pack runs it too): tsc for src/*.ts, then error-codes.js and its .d.ts as they
// are, because the server imports that pair straight from src/.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

// Skipped when dist/ was built from these very sources (npm start builds on every start); --force builds anyway.
const stamp = path.join(root, ".build-hash");
const hash = sourceHash();
const upToDate = fs.existsSync(path.join(dist, "index.js")) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash;
if (!upToDate || process.argv.includes("--force")) {
  fs.rmSync(stamp, { force: true });
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, "-p", path.join(root, "tsconfig.json")], { stdio: "inherit" });
  for (const file of ["error-codes.js", "error-codes.d.ts"]) fs.copyFileSync(path.join(root, "src", file), path.join(dist, file));
  fs.writeFileSync(stamp, hash);
}

function sourceHash() {
  const hash = createHash("sha256");
  const files = ["package.json", "tsconfig.json", "scripts/build.mjs", ...fs.readdirSync(path.join(root, "src"), { recursive: true }).map((f) => path.join("src", f))];
  for (const file of files.sort()) {
    const full = path.join(root, file);
    if (fs.statSync(full).isFile()) hash.update(file).update(fs.readFileSync(full));
  }
  return hash.digest("hex");
}
