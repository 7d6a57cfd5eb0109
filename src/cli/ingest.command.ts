// `mmrag ingest <folder>`: loads a folder into the catalogue with a progress bar and a failure summary,
// in-process on the local data dir, or through a running server with --server.
import path from "node:path";
import type { MmragClient } from "@mmrag/sdk";
import type { Env } from "../config.js";
import type { IngestJobState } from "../services/ingest/ingest-job.js";
import { withConnection } from "./connect.js";
import { jobProgressBar } from "./progress-bar.js";

export interface IngestOptions {
  recursive: boolean;
  pattern?: string;
  server?: string;
  json?: boolean;
}

/** What the bar and the summary read of a job. */
type JobView = Pick<IngestJobState, "status" | "total" | "processed" | "succeeded" | "skipped" | "failed" | "errors" | "imagesPerSecond" | "etaSeconds" | "message">;

/** Returns the process exit code: 0 when every image was stored or already there. */
export async function ingestCommand(folder: string, options: IngestOptions, env: Env): Promise<number> {
  const absolute = path.resolve(folder);
  const bar = options.json ? undefined : jobProgressBar(`Ingesting ${folder}`);
  // In-process, the person at the terminal owns the folder: it is the one root this run may read.
  const local = { ...env, INGEST_ROOTS: absolute, LOG_LEVEL: env.LOG_LEVEL ?? "warn" };
  const final = await withConnection(options.server, local, ({ client }) => followIngest(client, absolute, options, (job) => bar?.update(job)));
  bar?.stop();
  if (options.json) console.log(JSON.stringify(final, null, 2));
  else printSummary(final);
  return final.status === "SUCCEEDED" ? 0 : 1;
}

/** Starts the job and follows it to the end, through the SDK either way; Ctrl-C cancels it after the images in flight. */
async function followIngest(client: MmragClient, folder: string, options: IngestOptions, onProgress: (job: JobView) => void): Promise<JobView> {
  let cancelled = false;
  const onSigint = () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write("\nCancelling after the images in flight (Ctrl-C again to quit at once)...\n");
  };
  process.on("SIGINT", onSigint);
  try {
    const job = await client.ingestFolder({ path: folder, recursive: options.recursive, pattern: options.pattern });
    let last: JobView = job;
    for await (const state of client.ingestProgress(job.id)) {
      last = state;
      onProgress(last);
      if (cancelled && state.status === "RUNNING") void client.cancelIngestJob({ id: job.id }).catch(() => {});
    }
    return last;
  } finally {
    process.off("SIGINT", onSigint);
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
