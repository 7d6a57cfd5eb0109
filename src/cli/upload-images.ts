// Uploads many image files through the SDK as a few ingest jobs of a bounded size (one multipart request
// each), following each job's progress, and sums them up as one.
import path from "node:path";
import type { IngestJob, MmragClient } from "@mmrag/sdk";

export interface UploadTotals {
  total: number;
  processed: number;
  succeeded: number;
  skipped: number;
  failed: number;
  errors: IngestJob["errors"];
  imagesPerSecond: number;
  etaSeconds: number | null;
}

export async function uploadImages(client: MmragClient, files: string[], options: { batchSize?: number; onProgress?: (totals: UploadTotals) => void } = {}): Promise<UploadTotals> {
  const batchSize = options.batchSize ?? 100;
  const started = Date.now();
  const done: UploadTotals = { total: files.length, processed: 0, succeeded: 0, skipped: 0, failed: 0, errors: [], imagesPerSecond: 0, etaSeconds: null };
  const combined = (job: IngestJob): UploadTotals => {
    const processed = done.processed + job.processed;
    const rate = processed / Math.max(0.001, (Date.now() - started) / 1000);
    return {
      total: files.length,
      processed,
      succeeded: done.succeeded + job.succeeded,
      skipped: done.skipped + job.skipped,
      failed: done.failed + job.failed,
      errors: [...done.errors, ...job.errors],
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? (files.length - processed) / rate : null,
    };
  };
  for (let i = 0; i < files.length; i += batchSize) {
    const batch = files.slice(i, i + batchSize);
    const job = await client.ingestAndWait(
      batch.map((file) => ({ data: file, name: path.basename(file) })),
      { onProgress: (state) => options.onProgress?.(combined(state)) },
    );
    Object.assign(done, combined(job));
  }
  return done;
}
