// `mmrag ingest <folder>`: loads a folder into the catalogue with a progress bar and a failure summary,
// through the same SDK calls either way: a running server with --server (or MMRAG_URL), else the app
// in-process on the local data dir (see connect.ts).
import type { IngestJob } from "@mmrag/sdk";
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { fromInvokingDir } from "./paths.js";
import { jobProgressBar } from "./progress-bar.js";

export interface IngestOptions {
  recursive: boolean;
  pattern?: string;
  catalogue?: string;
  server?: string;
  json?: boolean;
}

/** Exit code after Ctrl-C, as shells report a SIGINT death. */
const EXIT_INTERRUPTED = 130;

/** Returns the process exit code: 0 when every image was stored or already there. */
export async function ingestCommand(folder: string, options: IngestOptions, env: Env): Promise<number> {
  const absolute = fromInvokingDir(folder, env);
  // In-process, the person at the terminal owns the folder: it is the one root this run may read.
  const connectionEnv = options.server ? env : { ...env, INGEST_ROOTS: absolute, LOG_LEVEL: env.LOG_LEVEL ?? "error" };
  const { final, warning } = await withConnection(options.server, connectionEnv, async ({ client }) => {
    const job = await client.ingestFolder({ path: absolute, recursive: options.recursive, pattern: options.pattern, catalogue: options.catalogue });
    const bar = options.json ? undefined : jobProgressBar(`Ingesting ${folder} (job ${job.id})`);
    const stopWatching = onCtrlC(async (again) => {
      if (options.server) {
        // The job belongs to the server: leaving here does not stop it, and a person should know that.
        bar?.stop();
        process.stderr.write(
          `\nStopped following. Job ${job.id} keeps running on the server.\n` +
            `  follow it:  mmrag jobs --server ${options.server}\n` +
            `  stop it:    mmrag jobs cancel ${job.id} --server ${options.server}\n`,
        );
        process.exit(EXIT_INTERRUPTED);
      }
      if (again) process.exit(EXIT_INTERRUPTED);
      process.stderr.write("\nStopping after the images in flight (Ctrl-C again to quit at once)...\n");
      await client.cancelIngestJob({ id: job.id }).catch(() => undefined);
    });
    try {
      let last: IngestJob = job;
      for await (const state of client.ingestProgress(job.id)) {
        last = state;
        bar?.update(state);
      }
      // Said once, in words, after the summary (a generated demo model's results mean nothing).
      return { final: last, warning: options.json ? null : (await client.stats({ catalogue: options.catalogue })).model.warning };
    } finally {
      stopWatching();
      bar?.stop();
    }
  });
  if (options.json) console.log(JSON.stringify(final, null, 2));
  else printSummary(final, warning);
  return final.status === "SUCCEEDED" ? 0 : 1;
}

/** Runs `handler` on each Ctrl-C (with `again` from the second on) until the returned function is called. */
function onCtrlC(handler: (again: boolean) => void | Promise<void>): () => void {
  let count = 0;
  const listener = () => void handler(count++ > 0);
  process.on("SIGINT", listener);
  return () => process.off("SIGINT", listener);
}

function printSummary(job: IngestJob, warning: string | null): void {
  const lines = [
    `\n${job.status}: ${job.succeeded} added, ${job.skipped} already in the catalogue, ${job.failed} failed, of ${job.total} (${job.imagesPerSecond.toFixed(1)} images/s).`,
  ];
  if (job.message) lines.push(job.message);
  if (job.errors.length > 0) {
    lines.push("\nFailed:");
    for (const e of job.errors.slice(0, 50)) lines.push(`  ${e.item}: ${e.code}: ${e.message}`);
    if (job.failed > 50) lines.push(`  ... and ${job.failed - 50} more (use --json for all)`);
  }
  if (warning) lines.push(`\nNote: ${warning}`);
  console.log(lines.join("\n"));
}
