// The ingest view: upload files as one ingest job and follow it live over the ingestProgress subscription.
import { FINAL_INGEST_STATUSES, type IngestJob } from "@mmrag/sdk/browser";
import { client } from "./client.js";
import { byId, dropZone, h, showMessage } from "./dom.js";
import { plainWords } from "./errors.js";

let chosen: File[] = [];
let runningJob: string | undefined;

export function setUpIngestView(onDone: () => void): void {
  const button = byId<HTMLButtonElement>("ingest-button");
  dropZone(byId("ingest-drop"), byId<HTMLInputElement>("ingest-files"), (files) => {
    chosen = files;
    byId("ingest-hint").textContent = files.length === 0 ? "Drop images here, or choose files" : `${files.length} file${files.length === 1 ? "" : "s"} chosen (drop or choose others)`;
    button.disabled = files.length === 0 || runningJob !== undefined;
    button.textContent = files.length > 0 ? `Add ${files.length} image${files.length === 1 ? "" : "s"}` : "Add images";
  });
  byId<HTMLFormElement>("ingest-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void runIngest(onDone);
  });
  byId("ingest-cancel").addEventListener("click", () => {
    if (runningJob) client.cancelIngestJob({ id: runningJob }).catch((error) => showMessage(byId("ingest-error"), plainWords(error, "stopping the ingest")));
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
  render({ status: "QUEUED", total: files.length, processed: 0, succeeded: 0, skipped: 0, failed: 0, imagesPerSecond: 0, etaSeconds: null, errors: [], message: null });
  try {
    const titled = byId<HTMLInputElement>("title-from-name").checked;
    const metadata = titled ? files.map((file) => ({ title: file.name.replace(/\.[^.]+$/, "") })) : undefined;
    const job = await client.ingestImages({ files, metadata });
    runningJob = job.id;
    cancel.hidden = false;
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
    runningJob = undefined;
    cancel.hidden = true;
    button.disabled = chosen.length === 0;
    onDone();
  }
}

type Progress = Pick<IngestJob, "status" | "total" | "processed" | "succeeded" | "skipped" | "failed" | "imagesPerSecond" | "etaSeconds" | "errors" | "message">;

function render(job: Progress): void {
  const percent = job.total === 0 ? 100 : Math.floor((job.processed / job.total) * 100);
  const bar = byId("ingest-bar");
  bar.setAttribute("aria-valuenow", String(percent));
  bar.dataset.status = job.status;
  bar.querySelector<HTMLElement>(".progress-fill")!.style.width = `${percent}%`;

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
