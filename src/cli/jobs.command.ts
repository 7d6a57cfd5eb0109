// `mmrag jobs [cancel <id>]`: the ingest jobs a server knows about, and stopping one. An ingest sent with
// --server keeps running there after Ctrl-C; this is how to follow or stop it.
import type { IngestJob } from "@mmrag/sdk";
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { table } from "./format.js";

/** The most jobs the server lists at once. */
const MAX_JOBS = 500;

export interface JobsOptions {
  limit?: number;
  /** Only jobs into this catalogue. */
  catalogue?: string;
  server?: string;
  json?: boolean;
}

export async function jobsListCommand(options: JobsOptions, env: Env): Promise<number> {
  const { catalogue } = options;
  const jobs = await withConnection(options.server, env, async ({ client }) => {
    if (!catalogue) return client.ingestJobs({ limit: options.limit });
    // The server lists every catalogue's jobs together: keep this one's of the most recent ones. Asking for
    // its stats too makes an unknown name the server's NOT_FOUND rather than an empty list.
    const [all] = await Promise.all([client.ingestJobs({ limit: MAX_JOBS }), client.stats({ catalogue })]);
    return all.filter((job) => job.catalogue === catalogue).slice(0, options.limit);
  });
  if (options.json) console.log(JSON.stringify(jobs, null, 2));
  else if (jobs.length === 0) console.log(catalogue ? `No ingest jobs into the catalogue "${catalogue}".` : "No ingest jobs.");
  else
    console.log(
      table(jobs, [
        { header: "id", value: (j) => j.id },
        { header: "status", value: (j) => j.status },
        { header: "done", value: (j) => `${j.processed}/${j.total}`, align: "right" },
        { header: "failed", value: (j) => String(j.failed), align: "right" },
        { header: "source", value: (j) => shorten(j.source, 30) },
      ]),
    );
  return 0;
}

export async function jobsCancelCommand(jobId: string, options: JobsOptions, env: Env): Promise<number> {
  const job: IngestJob = await withConnection(options.server, env, ({ client }) => client.cancelIngestJob({ id: jobId }));
  if (options.json) console.log(JSON.stringify(job, null, 2));
  else console.log(`${job.id}: ${job.status}, ${job.processed} of ${job.total} processed (${job.succeeded} added, ${job.failed} failed).`);
  return 0;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `...${text.slice(-(max - 3))}` : text;
}
