// The state of one ingest job, as stored and as clients see it.
export const INGEST_STATUSES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "PARTIAL"] as const;
export type IngestStatus = (typeof INGEST_STATUSES)[number];

export const TERMINAL: ReadonlySet<IngestStatus> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "PARTIAL"]);

/** Errors kept per job; the count in `failed` stays exact beyond this. */
export const MAX_ERRORS_KEPT = 1000;

export interface IngestItemError {
  /** File name (upload), path relative to the folder, or URL. */
  item: string;
  code: string;
  message: string;
}

export interface IngestJobState {
  id: string;
  /** reindex: the stored originals of a catalogue re-embedded into a new collection for another model. */
  kind: "upload" | "folder" | "urls" | "reindex";
  /** What was asked for: "3 uploaded files" or the folder path. */
  source: string;
  /** The catalogue it writes to (absent in jobs recorded before catalogues: the default one). */
  catalogue?: string;
  status: IngestStatus;
  total: number;
  processed: number;
  succeeded: number;
  skipped: number;
  failed: number;
  errors: IngestItemError[];
  imagesPerSecond: number;
  etaSeconds: number | null;
  message: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export function newJob(id: string, kind: IngestJobState["kind"], source: string, catalogue = "default"): IngestJobState {
  return {
    id,
    kind,
    source,
    catalogue,
    status: "QUEUED",
    total: 0,
    processed: 0,
    succeeded: 0,
    skipped: 0,
    failed: 0,
    errors: [],
    imagesPerSecond: 0,
    etaSeconds: null,
    message: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}

/** The status a job ends with once every item is done. */
export function finalStatus(job: IngestJobState, cancelled: boolean): IngestStatus {
  if (cancelled) return "CANCELLED";
  if (job.failed === 0) return "SUCCEEDED";
  return job.succeeded + job.skipped > 0 ? "PARTIAL" : "FAILED";
}

/** Rate since the start, and the time left at that rate. */
export function updateRates(job: IngestJobState, now = Date.now()): void {
  if (!job.startedAt) return;
  const seconds = (now - Date.parse(job.startedAt)) / 1000;
  job.imagesPerSecond = seconds > 0 ? round(job.processed / seconds) : 0;
  const left = job.total - job.processed;
  job.etaSeconds = TERMINAL.has(job.status) ? 0 : job.imagesPerSecond > 0 ? round(left / job.imagesPerSecond) : null;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
