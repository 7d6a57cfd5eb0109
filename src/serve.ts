// Runs the server until SIGINT/SIGTERM: used by `npm start` (src/main.ts) and `mmrag serve`.
import { createApp, GRAPHQL_PATH, type App } from "./app.js";
import type { Config } from "./config.js";
import { ConfigError } from "./errors.js";
import { createLogger } from "./logger.js";

export async function serve(loadConfig: () => Config): Promise<void> {
  const started = Date.now();
  let app: App | undefined;
  try {
    const config = loadConfig();
    const logger = createLogger(config);
    app = await createApp(config, { logger });
    const url = await app.listen();
    const model = app.services.embedder.info;
    const rerankOff = app.services.reranker.disabledReason;
    const rerank = rerankOff ? `off (${rerankOff.replace(/^Rerank is off: /, "")})` : `${config.rerank.model} at ${config.rerank.baseUrl ?? "OpenAI"}`;
    // The line a person looks for: where to point the browser first, then the API, then what search will do.
    logger.info(
      { role: config.role, ms: Date.now() - started, web: `${url}/`, graphql: `${url}${GRAPHQL_PATH}`, milvus: app.services.vectors.location, backend: app.services.vectors.backend, model: model.name, rerank: rerankOff ? null : config.rerank.model },
      config.role === "worker"
        ? `mmrag worker is ready: ${url} (ingest work; /healthz, /readyz, /metrics only)`
        : `mmrag is ready: web demo at ${url}/ · GraphQL at ${url}${GRAPHQL_PATH} · rerank: ${rerank}`,
    );
    if (model.warning) logger.warn(model.warning);

    // Ctrl-C under `npm start` reaches us twice within milliseconds (the terminal signals the whole
    // process group and npm forwards it too), so only a signal well after the first one forces an exit.
    let stoppingSince = 0;
    const stop = (signal: string) => {
      if (stoppingSince) {
        if (Date.now() - stoppingSince < 1000) return;
        logger.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stoppingSince = Date.now();
      logger.info(`${signal} received: draining connections and stopping`);
      app!.close().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, "Shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("exit", () => app?.killNow());
  } catch (err) {
    app?.killNow();
    reportStartupError(err);
    process.exit(1);
  }
}

export function reportStartupError(err: unknown): void {
  if (err instanceof ConfigError) console.error(`\nmmrag could not start:\n${err.message}\n`);
  else console.error("mmrag could not start:", err);
}
