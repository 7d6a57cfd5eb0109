// One connection to Milvus (embedded Lite or a server). Every call checks the returned status, and a Milvus
// that is down or restarting fails requests fast with UPSTREAM_UNAVAILABLE.
import type { MilvusClient } from "@zilliz/milvus2-sdk-node";
import { openMilvusClient } from "./milvus-client.js";
import type { Config } from "../../config.js";
import { UpstreamUnavailableError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { LITE_CHANNEL_OPTIONS, MilvusLiteProcess } from "./milvus-lite.process.js";

export class MilvusRequestError extends Error {
  constructor(operation: string, reason: string, code: unknown) {
    super(`Milvus ${operation} failed: ${reason} (code ${String(code)})`);
    this.name = "MilvusRequestError";
  }
}

export interface CallOptions {
  /** Set while reconnecting after a restart, when ordinary requests are still refused. */
  whileDown?: boolean;
}

interface Status {
  code?: number;
  error_code?: string | number;
  reason?: string;
}

/** Brings a collection back after Lite restarted (load it again); runs with whileDown set. */
export type RestartHook = (options: CallOptions) => Promise<void>;

export class MilvusConnection {
  readonly backend: "milvus-lite" | "milvus";
  private client?: MilvusClient;
  private lite?: MilvusLiteProcess;
  /** Rejected when Lite goes down, so calls in flight fail at once instead of waiting for a timeout. */
  private outage?: { promise: Promise<never>; reject: (err: Error) => void };
  private down?: string;
  private readonly restartHooks: RestartHook[] = [];

  private constructor(
    private readonly config: Config["milvus"],
    private readonly logger: Logger,
  ) {
    this.backend = config.mode === "lite" ? "milvus-lite" : "milvus";
    this.resetOutage();
  }

  /** Where the data lives, for logs and stats: the Lite file or the server address. */
  get location(): string {
    return this.config.mode === "lite" ? this.config.liteDbPath! : this.config.address!;
  }

  /** The supervised Lite process (undefined for a remote Milvus); tests use it to simulate a crash. */
  get liteProcess(): MilvusLiteProcess | undefined {
    return this.lite;
  }

  static async open(config: Config["milvus"], logger: Logger): Promise<MilvusConnection> {
    const connection = new MilvusConnection(config, logger);
    try {
      await connection.connect();
    } catch (err) {
      await connection.close();
      throw err;
    }
    return connection;
  }

  /** Registers what must be redone after a Lite restart before ordinary requests are let through again; returns its removal. */
  onRestart(hook: RestartHook): () => void {
    this.restartHooks.push(hook);
    return () => {
      const i = this.restartHooks.indexOf(hook);
      if (i >= 0) this.restartHooks.splice(i, 1);
    };
  }

  private async connect(): Promise<void> {
    if (this.config.mode === "remote") {
      this.client = this.newClient(this.config.address!);
      return;
    }
    this.lite = new MilvusLiteProcess({ dbPath: this.config.liteDbPath!, logger: this.logger, startupTimeoutMs: this.config.startupTimeoutMs });
    this.lite.on("down", (reason) => {
      this.down = reason;
      this.outage!.reject(new UpstreamUnavailableError("milvus", `Milvus stopped while handling this request (${reason}); it is restarting, try again`));
    });
    this.lite.on("up", (address) => void this.reconnect(address));
    this.client = this.newClient(await this.lite.start());
  }

  private async reconnect(address: string): Promise<void> {
    const old = this.client;
    this.client = this.newClient(address);
    void old?.closeConnection().catch(() => undefined);
    this.resetOutage();
    // Ordinary requests stay refused until the collections are loaded again.
    for (let attempt = 1; this.client && this.lite?.address === address; attempt++) {
      try {
        for (const hook of [...this.restartHooks]) await hook({ whileDown: true });
        this.down = undefined;
        this.logger.info({ address }, "Reconnected to Milvus Lite");
        return;
      } catch (err) {
        this.logger.error({ err, attempt }, "Milvus Lite restarted but the collection could not be loaded yet");
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 5000)));
      }
    }
  }

  private newClient(address: string): MilvusClient {
    return openMilvusClient({
      address,
      token: this.config.token,
      timeout: this.config.requestTimeoutMs,
      maxRetries: 1,
      logLevel: "error",
      ...(this.backend === "milvus-lite" ? { channelOptions: LITE_CHANNEL_OPTIONS } : {}),
    });
  }

  private resetOutage(): void {
    let reject!: (err: Error) => void;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined);
    this.outage = { promise, reject };
  }

  /** Runs one Milvus request: fails fast while Lite is down, maps transport failures, checks the status. */
  async call<T extends { status?: Status } | Status>(
    operation: string,
    request: (client: MilvusClient) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    if ((this.down && !options.whileDown) || !this.client) {
      throw new UpstreamUnavailableError("milvus", `Milvus is not available right now (${this.down ?? "not connected"}); try again in a moment`);
    }
    let result: T;
    try {
      result = await Promise.race([request(this.client), this.outage!.promise]);
    } catch (err) {
      if (err instanceof UpstreamUnavailableError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|connect/i.test(message)) {
        throw new UpstreamUnavailableError("milvus", `Milvus did not answer (${operation}): ${message.split("\n")[0]}`);
      }
      throw err;
    }
    const status: Status | undefined = "status" in result && result.status ? result.status : (result as Status);
    if (status && ((status.code !== undefined && status.code !== 0) || (status.error_code !== undefined && status.error_code !== "Success" && status.error_code !== 0))) {
      throw new MilvusRequestError(operation, status.reason || String(status.error_code), status.code ?? status.error_code);
    }
    return result;
  }

  /** For /readyz: answers within the request timeout, never throws. */
  async ping(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.call("listCollections", (c) => c.listCollections());
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async close(): Promise<void> {
    await this.client?.closeConnection().catch(() => undefined);
    this.client = undefined;
    await this.lite?.stop();
  }

  /** Synchronous last resort for process exit paths. */
  killNow(): void {
    this.lite?.killNow();
  }
}
