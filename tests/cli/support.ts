// Runs the `mmrag` command line as a child process, from source through tsx, the way a person runs it.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = path.join(REPO, "src/cli/main.ts");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `mmrag ...args`; the environment is this process's without MMRAG_URL, plus `env`. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliRun> {
  // The repository root as cwd (runCommand's): tsx reads tsconfig.json there (type-graphql needs its legacy decorators).
  return runCommand(process.execPath, ["--import", "tsx", MAIN, ...args], options);
}

/** `mmrag ...args` as a child process the test can signal (Ctrl-C) once `ready` matches its stderr. */
export function spawnCli(args: string[], options: { env?: Record<string, string | undefined> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, MMRAG_URL: undefined, NO_COLOR: "1", ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<CliRun>((resolve, reject) => {
    const started = Date.now();
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
  return {
    child,
    exited,
    /** What it has printed to stdout so far. */
    output: () => stdout,
    /** Resolves once stderr matches. */
    async waitForStderr(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(stderr)) {
        if (Date.now() > until) throw new Error(`stderr never matched ${pattern}: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`mmrag exited (${child.exitCode}) before stderr matched ${pattern}: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** `mmrag ...args` in a real pseudo-terminal (util-linux `script`) of the given width; answers what the terminal showed. */
export function runCliInTerminal(args: string[], options: { env?: Record<string, string | undefined>; columns?: number; timeoutMs?: number } = {}): Promise<CliRun> {
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols ${options.columns ?? 80} rows 24; exec ${[process.execPath, "--import", "tsx", MAIN, ...args].map(quote).join(" ")}`;
  return runCommand("script", ["-qefc", command, "/dev/null"], options);
}

function runCommand(file: string, args: string[], options: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliRun> {
  const started = Date.now();
  const env: Record<string, string | undefined> = { ...process.env, MMRAG_URL: undefined, NO_COLOR: "1", ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const child = spawn(file, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
