// Process entry: read the environment, build the app, serve, and shut down cleanly on SIGINT/SIGTERM.
import "reflect-metadata";
import { createApp, GRAPHQL_PATH, type App } from "./app.js";
import { loadConfig } from "./config.js";
import { ConfigError } from "./errors.js";
import { createLogger } from "./logger.js";

const started = Date.now();
let app: App | undefined;

try {
  const config = loadConfig();
  const logger = createLogger(config);
  app = await createApp(config, { logger });
  const url = await app.listen();
  const model = app.services.embedder.info;
  logger.info(
    { ms: Date.now() - started, milvus: app.services.vectors.location, backend: app.services.vectors.backend, model: model.name },
    `mmrag is ready: ${url}${GRAPHQL_PATH}`,
  );
  if (model.warning) logger.warn(model.warning);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
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
  if (err instanceof ConfigError) {
    console.error(`\nmmrag could not start:\n${err.message}\n`);
  } else {
    console.error("mmrag could not start:", err);
  }
  process.exit(1);
}
