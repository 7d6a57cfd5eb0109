// How a command reaches mmrag: the server at --server (or MMRAG_URL) through the SDK, or, with neither, the
// app itself (createApp) on the local DATA_DIR, listening on a private loopback port for the command's run,
// so both ways go through the same SDK calls.
import { createClient, type MmragClient } from "@mmrag/sdk";
import { pino } from "pino";
import { createApp, GRAPHQL_PATH, type App } from "../app.js";
import { loadConfig, type Env } from "../config.js";

export interface Connection {
  client: MmragClient;
  /** The server's base URL (http://host:port). */
  baseUrl: string;
  /** The app, when this command runs one itself. */
  app?: App;
  close(): Promise<void>;
}

/** "http://host:4000", "http://host:4000/" and "http://host:4000/graphql" all name the same server. */
export function serverBaseUrl(server: string): string {
  const url = new URL(server);
  return `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/\/graphql$/, "")}`;
}

export async function connect(server: string | undefined, env: Env): Promise<Connection> {
  if (server) {
    const baseUrl = serverBaseUrl(server);
    const client = createClient({ url: `${baseUrl}${GRAPHQL_PATH}`, apiKey: env.MMRAG_API_KEY });
    return { client, baseUrl, close: () => client.close() };
  }
  const config = loadConfig({ ...env, HOST: "127.0.0.1", PORT: "0", PUBLIC_URL: "", LOG_LEVEL: env.LOG_LEVEL ?? "error" });
  // Logs go to stderr, so stdout stays the command's own output (and valid JSON with --json).
  const logger = pino({ level: config.logLevel, base: { service: "mmrag" } }, pino.destination(2));
  let app: App;
  try {
    app = await createApp(config, { logger });
  } catch (err) {
    throw new InProcessStartError(err, config.dataDir);
  }
  const baseUrl = await app.listen();
  const client = createClient({ url: `${baseUrl}${GRAPHQL_PATH}` });
  return {
    client,
    baseUrl,
    app,
    async close() {
      await client.close();
      await app.close();
    },
  };
}

/** The local app could not start (often: a server already holds DATA_DIR's Milvus Lite file). */
export class InProcessStartError extends Error {
  constructor(cause: unknown, dataDir: string) {
    super(
      `Could not open the local catalogue in ${dataDir}: ${cause instanceof Error ? cause.message : String(cause)}\n` +
        "To use a running server instead, pass --server http://127.0.0.1:4000 or set MMRAG_URL.",
      { cause },
    );
    this.name = "InProcessStartError";
  }
}

/** Opens a connection, runs `work` with it, and always closes it. */
export async function withConnection<T>(server: string | undefined, env: Env, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await connect(server, env);
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}
