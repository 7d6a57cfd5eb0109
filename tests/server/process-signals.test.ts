// The server as a person runs it: a real process, stopped with Ctrl-C (SIGINT to the whole process
// group, as a terminal sends it, with npm forwarding it again).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { isAlive } from "../../src/services/db-file-lock.js";
import { REPO_ROOT } from "../../src/model-tooling/repo-paths.js";
import { tempDir, testEnv } from "../support/server.js";

describe("the server process", () => {
  it("drains and exits 0 on Ctrl-C, stopping its Milvus Lite child instead of restarting it", async () => {
    const dataDir = await tempDir();
    const env = { ...process.env, ...(await testEnv(dataDir)), NODE_ENV: "production", LOG_LEVEL: "info" };
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let milvusPid = 0;
    // A failing run must not leave the server (or its Milvus child, in its own group) behind.
    onTestFinished(() => {
      for (const pid of [-child.pid!, milvusPid]) {
        try {
          if (pid) process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    });

    const deadline = Date.now() + 60_000;
    while (!output.includes("mmrag is ready") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(output).toContain("mmrag is ready");
    milvusPid = Number(/"childPid":(\d+)/.exec(output)![1]);
    expect(isAlive(milvusPid)).toBe(true);

    process.kill(-child.pid!, "SIGINT");
    process.kill(child.pid!, "SIGINT");
    expect(await exited).toBe(0);
    expect(output).toContain("SIGINT received");
    expect(output).not.toContain("restarting");
    expect(output).not.toContain("exiting now");
    expect(isAlive(milvusPid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "milvus.db.lock"))).toBe(false);
  }, 90_000);
});
