// Starts, watches and stops the Milvus Lite binary for a local-file MILVUS_URI, as pymilvus does.
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import getPort from "get-port";
import { openMilvusClient } from "./milvus-client.js";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { DbFileLock, isAlive } from "../db-file-lock.js";

const require = createRequire(import.meta.url);

export interface MilvusLiteOptions {
  dbPath: string;
  logger: Logger;
  startupTimeoutMs: number;
  /** Delay before the first restart after a crash; doubles up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  stopTimeoutMs?: number;
}

interface MilvusLiteEvents {
  /** The child exited unexpectedly; requests should fail fast until "up". */
  down: [reason: string];
  /** The child (re)started and answers at this address. */
  up: [address: string];
}

export class MilvusLiteProcess extends EventEmitter<MilvusLiteEvents> {
  private child?: ChildProcess;
  private stopping = false;
  private restartDelay: number;
  private readonly lock: DbFileLock;
  private stderrTail = "";
  address?: string;

  constructor(private readonly options: MilvusLiteOptions) {
    super();
    this.restartDelay = options.restartDelayMs ?? 250;
    this.lock = new DbFileLock(options.dbPath);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Takes the file lock, starts the binary on a free loopback port and resolves once it answers. */
  async start(): Promise<string> {
    const { dbPath, logger } = this.options;
    fs.mkdirSync(path.dirname(dbPath), { recursive: true });
    const orphan = this.lock.acquire();
    if (orphan !== undefined) await stopOrphan(orphan, dbPath, logger);
    try {
      return await this.spawnAndWait();
    } catch (err) {
      this.lock.release();
      throw err;
    }
  }

  private async spawnAndWait(): Promise<string> {
    const { binPath, libDir } = locateBinary();
    const { dbPath, logger, startupTimeoutMs } = this.options;
    const port = await getPort({ host: "127.0.0.1" });
    const address = `127.0.0.1:${port}`;
    const logDir = path.join(path.dirname(dbPath), "milvus-logs");
    fs.mkdirSync(logDir, { recursive: true });
    const started = Date.now();
    const child = spawn(binPath, [dbPath, address, "ERROR"], {
      env: { ...process.env, LD_LIBRARY_PATH: libDir, GLOG_log_dir: logDir },
      stdio: ["ignore", "ignore", "pipe"],
      // Its own process group: Ctrl-C at a terminal signals the whole foreground group, and Milvus dying
      // before we drain would look like a crash. We stop it ourselves, in order.
      detached: true,
    });
    this.child = child;
    this.stderrTail = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    this.lock.recordChild(child.pid);
    child.once("exit", (code, signal) => this.onExit(child, code, signal));

    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code, signal) =>
        reject(new ConfigError(`Milvus Lite exited during start-up (code ${code}, signal ${signal}): ${this.stderrTail.trim() || "no output"}`)),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([waitUntilAnswering(address, started + startupTimeoutMs), exited]);
    this.address = address;
    logger.info({ address, dbPath, childPid: child.pid, ms: Date.now() - started }, "Milvus Lite is up");
    return address;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping || this.address === undefined) return;
    const reason = `Milvus Lite exited (code ${code}, signal ${signal})`;
    this.options.logger.error({ code, signal, stderr: this.stderrTail.trim() || undefined }, `${reason}; restarting`);
    this.address = undefined;
    this.emit("down", reason);
    void this.restartWithBackoff();
  }

  private async restartWithBackoff(): Promise<void> {
    const max = this.options.maxRestartDelayMs ?? 10_000;
    while (!this.stopping) {
      await sleep(this.restartDelay);
      if (this.stopping) return;
      try {
        const address = await this.spawnAndWait();
        this.restartDelay = this.options.restartDelayMs ?? 250;
        this.emit("up", address);
        return;
      } catch (err) {
        this.options.logger.error({ err }, "Milvus Lite restart failed");
        this.child?.kill("SIGKILL");
        this.restartDelay = Math.min(this.restartDelay * 2, max);
      }
    }
  }

  /** SIGTERM, then SIGKILL after stopTimeoutMs; releases the file lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timeout = sleep(this.options.stopTimeoutMs ?? 5000).then(() => "timeout" as const);
      if ((await Promise.race([exited, timeout])) === "timeout") {
        this.options.logger.warn({ childPid: child.pid }, "Milvus Lite did not stop after SIGTERM; sending SIGKILL");
        child.kill("SIGKILL");
        await exited;
      }
    }
    this.address = undefined;
    this.lock.release();
  }

  /** Last-resort cleanup from a synchronous `exit` handler. */
  killNow(): void {
    this.stopping = true;
    this.child?.kill("SIGKILL");
    this.lock.release();
  }
}

function locateBinary(): { binPath: string; libDir: string } {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new ConfigError(
      `The embedded Milvus Lite runs on Linux x64 only (this is ${process.platform}/${process.arch}). Set MILVUS_URI to an http(s):// Milvus server instead.`,
    );
  }
  try {
    return require("@lyyyuna/milvus-lite-linux-x64") as { binPath: string; libDir: string };
  } catch {
    throw new ConfigError("The package @lyyyuna/milvus-lite-linux-x64 is not installed; run npm ci, or set MILVUS_URI to a Milvus server");
  }
}

/**
 * gRPC settings for talking to Milvus Lite: it turns away the SDK's default 10 s idle keepalive pings
 * ("excess pings", then GOAWAY), and a dead Lite child is seen through its exit anyway.
 */
export const LITE_CHANNEL_OPTIONS = { "grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": 0 };

async function waitUntilAnswering(address: string, deadline: number): Promise<void> {
  const client = openMilvusClient({ address, timeout: 2000, logLevel: "error", channelOptions: LITE_CHANNEL_OPTIONS });
  try {
    for (;;) {
      try {
        const res = await client.listCollections();
        if (res.status?.code === 0 || res.status?.error_code === "Success") return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new ConfigError(`Milvus Lite did not answer at ${address} in time`);
      await sleep(50);
    }
  } finally {
    await client.closeConnection().catch(() => undefined);
  }
}

/** A crashed predecessor's Milvus child still holds the file: stop it, after checking the pid really is that child. */
async function stopOrphan(pid: number, dbPath: string, logger: Logger): Promise<void> {
  let cmdline = "";
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return;
  }
  if (!cmdline.includes(dbPath)) return;
  logger.warn({ childPid: pid, dbPath }, "Stopping a Milvus Lite process left behind by a server that crashed");
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
