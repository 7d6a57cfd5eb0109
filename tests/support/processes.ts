// mmrag's real entry point (src/main.ts) in child processes, as an operator runs replicas: each can be
// killed like a crashed machine. Every process started here is killed after the file's tests.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll } from "vitest";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no drain, no goodbye, as when a machine dies. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const running: ServerProcess[] = [];
afterAll(async () => {
  while (running.length > 0) await running.pop()!.kill();
});

export async function startServerProcess(env: Record<string, string | undefined>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env: { ...process.env, ...env, LOG_LEVEL: env.LOG_LEVEL ?? "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopWith = (signal: NodeJS.Signals) => async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      output = (output + chunk).slice(-200_000);
      const ready = output.match(/mmrag (?:worker )?is ready: (http:\/\/[^/\s"]+)/);
      if (ready) resolve(ready[1]);
    });
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output = (output + chunk).slice(-200_000)));
    child.once("exit", (code) => reject(new Error(`mmrag exited (${code}) before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`mmrag not ready in time:\n${output}`)), 120_000).unref();
  });
  const url = await ready.catch(async (err) => {
    await stopWith("SIGKILL")();
    throw err;
  });
  const server: ServerProcess = { url, child, output: () => output, kill: stopWith("SIGKILL"), stop: stopWith("SIGTERM") };
  running.push(server);
  return server;
}
