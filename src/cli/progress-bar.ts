// A terminal progress bar for ingest jobs: count, rate and ETA, redrawn in place on a TTY and
// printed as occasional plain lines otherwise (CI logs, pipes). It fits the terminal's width: the label
// goes on a line of its own, and the bar takes what the numbers leave.
import cliProgress from "cli-progress";

export interface JobCounts {
  total: number;
  processed: number;
  failed: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
}

export interface JobProgressView {
  update(job: JobCounts): void;
  stop(): void;
}

/** What the numbers after the bar take at most: " 100% 12345/12345 999.9/s ETA 59m59s 12345 failed". */
const NUMBERS_WIDTH = 52;

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
  const columns = stream.columns || 80;
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {percentage}% {value}/{total} {rate}/s ETA {eta_text} {failed} failed",
      barsize: Math.max(10, Math.min(40, columns - NUMBERS_WIDTH)),
      hideCursor: true,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update(job) {
      if (stopped) return;
      const payload = { rate: job.imagesPerSecond.toFixed(1), eta_text: formatEta(job.etaSeconds), failed: job.failed };
      if (!started) {
        stream.write(`${fit(label, columns)}\n`);
        bar.start(job.total, job.processed, payload);
        started = true;
      } else {
        bar.setTotal(job.total);
        bar.update(job.processed, payload);
      }
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}

/** The text cut in the middle to `columns` characters: both ends of a long path say more than one end. */
function fit(text: string, columns: number): string {
  if (text.length <= columns) return text;
  const keep = columns - 3;
  return `${text.slice(0, Math.ceil(keep / 2))}...${text.slice(text.length - Math.floor(keep / 2))}`;
}

function formatEta(seconds: number | null): string {
  if (seconds === null) return "--";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
