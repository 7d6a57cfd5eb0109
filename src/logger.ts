import { pino, type Logger } from "pino";
import type { Config } from "./config.js";

export type { Logger };

export function createLogger(config: Pick<Config, "logLevel" | "env">): Logger {
  return pino({
    level: config.logLevel,
    base: { service: "mmrag" },
    // Pretty lines for a person at a terminal; JSON lines for everything else.
    transport:
      config.env === "development" && process.stdout.isTTY
        ? { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service" } }
        : undefined,
  });
}
