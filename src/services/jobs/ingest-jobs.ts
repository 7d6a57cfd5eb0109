// What the GraphQL layer needs from ingest, whichever way it runs: in this process (IngestService) or
// as chunks on a Redis queue worked by any number of worker processes (DistributedIngest).
import type { IngestTarget, UploadedFile } from "../ingest/ingest.service.js";
import type { IngestJobState } from "../ingest/ingest-job.js";

type Job = Promise<IngestJobState>;

export interface IngestJobs {
  init(): Promise<void>;
  /** `requestId` goes with the job to the workers, so their logs can be joined with the API's. */
  /** A fresh folder for one request's uploads to be spooled into as they arrive. */
  newSpoolDir(): string;
  /** Takes ownership of `spool` (removes it when done). */
  startUploads(files: UploadedFile[], spool: string, target?: IngestTarget, requestId?: string): Job;
  startFolder(path: string, options: { recursive: boolean; pattern?: string }, target?: IngestTarget, requestId?: string): Job;
  startUrls(urls: string[], metadata?: Array<Record<string, unknown> | null>, target?: IngestTarget, requestId?: string): Job;
  cancel(id: string): Job;
  get(id: string): IngestJobState | undefined | Promise<IngestJobState | undefined>;
  list(limit?: number): IngestJobState[] | Promise<IngestJobState[]>;
  watch(id: string): AsyncGenerator<IngestJobState>;
  wait(id: string): Job;
  close(): Promise<void>;
}
