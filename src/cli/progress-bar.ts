// A terminal progress bar for ingest jobs: count, rate and ETA, redrawn in place on a TTY and
// printed as occasional plain lines otherwise (CI logs, pipes).
import cliProgress from "cli-progress";
import type { IngestJobState } from "../services/ingest/ingest-job.js";

export interface JobProgressView {
  update(job: Pick<IngestJobState, "total" | "processed" | "failed" | "imagesPerSecond" | "etaSeconds">): void;
  stop(): void;
}

export function jobProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): JobProgressView {
  if (!stream.isTTY) {
    let lastLine = 0;
    return {
      update(job) {
        if (Date.now() - lastLine < 2000 && job.processed < job.total) return;
        lastLine = Date.now();
        stream.write(`${label}: ${job.processed}/${job.total} (${job.failed} failed), ${job.imagesPerSecond.toFixed(1)} images/s\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_text} | {failed} failed`,
      hideCursor: true,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(job) {
      const payload = { rate: job.imagesPerSecond.toFixed(1), eta_text: formatEta(job.etaSeconds), failed: job.failed };
      if (!started) {
        bar.start(job.total, job.processed, payload);
        started = true;
      } else {
        bar.setTotal(job.total);
        bar.update(job.processed, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return "--";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
