// `mmrag ingest <folder>`: loads a folder into the catalogue with a progress bar and a failure summary,
// in-process on the local data dir, or through a running server with --server.
import path from "node:path";
import { createClient } from "graphql-ws";
import { WebSocket } from "ws";
import { createApp } from "../app.js";
import { loadConfig, type Env } from "../config.js";
import { createLogger } from "../logger.js";
import type { IngestJobState } from "../services/ingest/ingest-job.js";
import { jobProgressBar } from "./progress-bar.js";

export interface IngestOptions {
  recursive: boolean;
  pattern?: string;
  server?: string;
  json?: boolean;
}

const JOB_FIELDS = "id status total processed succeeded skipped failed errors { item code message } imagesPerSecond etaSeconds message";

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

async function ingestThroughServer(server: string, folder: string, options: IngestOptions, onProgress: (job: IngestJobState) => void): Promise<IngestJobState> {
  const base = server.replace(/\/+$/, "").replace(/\/graphql$/, "");
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation($path: String!, $recursive: Boolean, $pattern: String) { ingestFolder(path: $path, recursive: $recursive, pattern: $pattern) { id } }`,
      variables: { path: folder, recursive: options.recursive, pattern: options.pattern },
    }),
  });
  const body = (await res.json()) as { data?: { ingestFolder: { id: string } }; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length) throw new Error(`${body.errors[0].extensions?.code ?? "ERROR"}: ${body.errors[0].message}`);
  const jobId = body.data!.ingestFolder.id;
  const client = createClient({ url: `${base.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 3 });
  try {
    let last: IngestJobState | undefined;
    for await (const event of client.iterate<{ ingestProgress: IngestJobState }>({
      query: `subscription($jobId: ID!) { ingestProgress(jobId: $jobId) { ${JOB_FIELDS} } }`,
      variables: { jobId },
    })) {
      if (event.errors?.length) throw new Error(event.errors[0].message);
      last = event.data!.ingestProgress;
      onProgress(last);
    }
    return last!;
  } finally {
    await client.dispose();
  }
}

function printSummary(job: IngestJobState): void {
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
