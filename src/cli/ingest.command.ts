// `mmrag ingest <folder>`: loads a folder into the catalogue with a progress bar and a failure summary,
// in-process on the local data dir, or through a running server with --server.
import path from "node:path";
import { createClient } from "@mmrag/sdk";
import { createApp, GRAPHQL_PATH } from "../app.js";
import { loadConfig, type Env } from "../config.js";
import { createLogger } from "../logger.js";
import type { IngestJobState } from "../services/ingest/ingest-job.js";
import { serverBaseUrl } from "./connect.js";
import { jobProgressBar } from "./progress-bar.js";

export interface IngestOptions {
  recursive: boolean;
  pattern?: string;
  server?: string;
  json?: boolean;
}

/** What the bar and the summary read of a job: the same fields whether it ran in-process or on a server. */
type JobView = Pick<IngestJobState, "status" | "total" | "processed" | "succeeded" | "skipped" | "failed" | "errors" | "imagesPerSecond" | "etaSeconds" | "message">;

/** Returns the process exit code: 0 when every image was stored or already there. */
export async function ingestCommand(folder: string, options: IngestOptions, env: Env): Promise<number> {
  const absolute = path.resolve(folder);
  const bar = options.json ? undefined : jobProgressBar(`Ingesting ${folder}`);
  const final = options.server
    ? await ingestThroughServer(options.server, absolute, options, (job) => bar?.update(job))
    : await ingestInProcess(absolute, options, env, (job) => bar?.update(job));
  bar?.stop();
  if (options.json) console.log(JSON.stringify(final, null, 2));
  else printSummary(final);
  return final.status === "SUCCEEDED" ? 0 : 1;
}

async function ingestInProcess(folder: string, options: IngestOptions, env: Env, onProgress: (job: IngestJobState) => void): Promise<IngestJobState> {
  // The person at the terminal owns the folder: it is the one root this run may read.
  const config = loadConfig({ ...env, INGEST_ROOTS: folder, LOG_LEVEL: env.LOG_LEVEL ?? "warn" });
  const app = await createApp(config, { logger: createLogger(config) });
  const { ingest } = app.services;
  let cancelled = false;
  const onSigint = () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write("\nCancelling after the images in flight (Ctrl-C again to quit at once)...\n");
  };
  process.on("SIGINT", onSigint);
  try {
    const job = await ingest.startFolder(folder, { recursive: options.recursive, pattern: options.pattern });
    let last = job;
    for await (const update of ingest.watch(job.id)) {
      last = update;
      onProgress(update);
      if (cancelled && update.status === "RUNNING") void ingest.cancel(job.id);
    }
    return last;
  } finally {
    process.off("SIGINT", onSigint);
    await app.close();
  }
}

async function ingestThroughServer(server: string, folder: string, options: IngestOptions, onProgress: (job: JobView) => void): Promise<JobView> {
  const client = createClient({ url: `${serverBaseUrl(server)}${GRAPHQL_PATH}` });
  try {
    const job = await client.ingestFolder({ path: folder, recursive: options.recursive, pattern: options.pattern });
    let last: JobView = job;
    for await (const state of client.ingestProgress(job.id)) {
      last = state;
      onProgress(last);
    }
    return last;
  } finally {
    await client.close();
  }
}

function printSummary(job: JobView): void {
  const lines = [
    `\n${job.status}: ${job.succeeded} added, ${job.skipped} already in the catalogue, ${job.failed} failed, of ${job.total} (${job.imagesPerSecond.toFixed(1)} images/s).`,
  ];
  if (job.message) lines.push(job.message);
  if (job.errors.length > 0) {
    lines.push("\nFailed:");
    for (const e of job.errors.slice(0, 50)) lines.push(`  ${e.item}: ${e.code}: ${e.message}`);
    if (job.failed > 50) lines.push(`  ... and ${job.failed - 50} more (use --json for all)`);
  }
  console.log(lines.join("\n"));
}
