// The ingest view: upload files as one ingest job, showing the transfer as it goes, then follow the job
// live over the ingestProgress subscription. Stop works throughout: during the transfer it aborts the
// request (nothing reaches the catalogue), afterwards it cancels the job on the server.
import { FINAL_INGEST_STATUSES, type IngestJob } from "@mmrag/sdk/browser";
import { client, currentCatalogue } from "./client.js";
import { byId, dropZone, formatBytes, h, showMessage } from "./dom.js";
import { plainWords } from "./errors.js";

let chosen: File[] = [];
/** The run in progress: its transfer (abortable) and, once the server has made it, its job. */
let running: { upload: AbortController; jobId?: string } | undefined;

export function setUpIngestView(onDone: () => void): void {
  const button = byId<HTMLButtonElement>("ingest-button");
  dropZone(byId("ingest-drop"), byId<HTMLInputElement>("ingest-files"), (files) => {
    chosen = files;
    byId("ingest-hint").textContent = files.length === 0 ? "Drop images here, or choose files" : `${files.length} file${files.length === 1 ? "" : "s"} chosen (drop or choose others)`;
    button.disabled = files.length === 0 || running !== undefined;
    button.textContent = files.length > 0 ? `Add ${files.length} image${files.length === 1 ? "" : "s"}` : "Add images";
  });
  byId<HTMLFormElement>("ingest-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void runIngest(onDone);
  });
  byId("ingest-cancel").addEventListener("click", () => {
    if (!running) return;
    if (!running.jobId) running.upload.abort();
    else client.cancelIngestJob({ id: running.jobId }).catch((error) => showMessage(byId("ingest-error"), plainWords(error, "stopping the ingest")));
  });
}

async function runIngest(onDone: () => void): Promise<void> {
  const files = chosen;
  if (files.length === 0) return;
  const errorBox = byId("ingest-error");
  const button = byId<HTMLButtonElement>("ingest-button");
  const cancel = byId("ingest-cancel");
  showMessage(errorBox, undefined);
  button.disabled = true;
  byId("ingest-progress").hidden = false;
  byId("ingest-failures").replaceChildren();
  const run: { upload: AbortController; jobId?: string } = { upload: new AbortController() };
  running = run;
  cancel.hidden = false;
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  let sentAll = false;
  renderUpload(0, bytes, files.length);
  try {
    const titled = byId<HTMLInputElement>("title-from-name").checked;
    const metadata = titled ? files.map((file) => ({ title: file.name.replace(/\.[^.]+$/, "") })) : undefined;
    let job: IngestJob;
    try {
      job = await client.ingestImages({ files, metadata, catalogue: currentCatalogue() }, {
        signal: run.upload.signal,
        onUploadProgress: ({ loaded, total }) => {
          sentAll = loaded >= total;
          renderUpload(loaded, total, files.length);
        },
      });
    } catch (error) {
      if (!run.upload.signal.aborted) throw error;
      renderStopped(files.length, sentAll);
      return;
    }
    run.jobId = job.id;
    let last: IngestJob = job;
    render(job);
    for await (const state of client.ingestProgress(job.id)) {
      last = state;
      render(state);
    }
    // The stream ends after the final state; if the socket dropped before it, ask once more.
    if (!FINAL_INGEST_STATUSES.includes(last.status)) render((await client.ingestJob({ id: job.id })) ?? last);
  } catch (error) {
    showMessage(errorBox, plainWords(error, "adding the images"));
  } finally {
    running = undefined;
    cancel.hidden = true;
    button.disabled = chosen.length === 0;
    onDone();
  }
}

type Progress = Pick<IngestJob, "status" | "total" | "processed" | "succeeded" | "skipped" | "failed" | "imagesPerSecond" | "etaSeconds" | "errors" | "message">;

/** The transfer: bytes sent of the whole request (the files and a little multipart framing). */
function renderUpload(loaded: number, total: number, files: number): void {
  const percent = total === 0 ? 0 : Math.min(100, Math.floor((loaded / total) * 100));
  setBar("upload", "UPLOADING", percent);
  byId("ingest-status").textContent =
    loaded >= total && total > 0
      ? `Sent all ${files} file${files === 1 ? "" : "s"} (${formatBytes(total)}); the server is reading them…`
      : `Sending ${files} file${files === 1 ? "" : "s"}: ${formatBytes(loaded)} of ${formatBytes(total)} (${percent}%)…`;
}

function renderStopped(files: number, sentAll: boolean): void {
  setBar("upload", "CANCELLED", 0);
  byId("ingest-status").textContent = sentAll
    ? "Stopped waiting: the server had all the files and may have added them. The Catalogue tab shows what it holds."
    : `Stopped before the transfer finished: none of the ${files} file${files === 1 ? "" : "s"} reached the catalogue.`;
}

function setBar(phase: "upload" | "processing", status: string, percent: number): void {
  const bar = byId("ingest-bar");
  const fill = bar.querySelector<HTMLElement>(".progress-fill")!;
  // A new phase starts from its own zero: no sliding back from the last phase's width.
  const jump = bar.dataset.phase !== phase;
  if (jump) fill.style.transition = "none";
  bar.dataset.phase = phase;
  bar.dataset.status = status;
  bar.setAttribute("aria-label", phase === "upload" ? "Transfer progress" : "Processing progress");
  bar.setAttribute("aria-valuenow", String(percent));
  fill.style.width = `${percent}%`;
  if (jump) requestAnimationFrame(() => (fill.style.transition = ""));
}

function render(job: Progress): void {
  const percent = job.total === 0 ? 100 : Math.floor((job.processed / job.total) * 100);
  setBar("processing", job.status, percent);

  const counts = `${job.processed} of ${job.total} processed (${percent}%): ${job.succeeded} added, ${job.skipped} already in the catalogue, ${job.failed} failed`;
  const status: Record<string, string> = {
    QUEUED: "Waiting to start…",
    RUNNING: `Working… ${job.imagesPerSecond.toFixed(1)} images/s${job.etaSeconds !== null ? `, about ${Math.ceil(job.etaSeconds)} s left` : ""}.`,
    SUCCEEDED: "Done.",
    PARTIAL: "Done, but some images could not be added.",
    FAILED: "Failed.",
    CANCELLED: "Stopped.",
  };
  byId("ingest-status").textContent = `${status[job.status] ?? job.status} ${counts}.${job.message ? ` ${job.message}` : ""}`;

  byId("ingest-failures").replaceChildren(
    ...job.errors.map((e) => h("li", {}, h("strong", {}, e.item), `: ${e.message}`, h("span", { class: "code" }, ` (${e.code})`))),
  );
}
