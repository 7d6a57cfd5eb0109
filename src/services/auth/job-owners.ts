// Which key started which ingest job, so a write key may cancel its own jobs and no one else's. With
// REDIS_URL the owner is a field of the job's record in Redis (same lifetime as the job), so any API replica
// can check it; otherwise in this process's memory, like the jobs it runs (a restart ends them anyway).
import { UpstreamUnavailableError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { JobRecords } from "../jobs/job-records.js";

export class JobOwners {
  private readonly owners = new Map<string, string>();

  constructor(private readonly shared?: { records: JobRecords; logger?: Logger }) {}

  /** Never throws: the job is already running, and the caller must learn its id. Unrecorded, only an admin may cancel it. */
  async record(jobId: string, keyName: string): Promise<void> {
    if (!this.shared) return void this.owners.set(jobId, keyName);
    await this.shared.records.setOwner(jobId, keyName).catch((err: Error) => {
      this.shared?.logger?.warn({ err: err.message, jobId, keyName }, "Could not record who started an ingest job: only an admin key can cancel it");
    });
  }

  async ownedBy(jobId: string, keyName: string): Promise<boolean> {
    const owner = this.shared ? await unavailableIfFails(this.shared.records.owner(jobId)) : this.owners.get(jobId);
    return owner !== undefined && owner === keyName;
  }
}

async function unavailableIfFails<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    throw new UpstreamUnavailableError("redis", `Redis did not answer (${(err as Error).message}); try again shortly`);
  }
}
