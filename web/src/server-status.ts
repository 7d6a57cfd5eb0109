// The header's status line and the model banner, kept current: the server is asked again every few seconds,
// so a server that went away reads "offline" instead of its last image count. Other views read the latest
// stats (is rerank configured? is the catalogue empty?) through `latestStats` and `onStats`.
import { isSdkError, type Stats } from "@mmrag/sdk/browser";
import { client, currentCatalogue, setCatalogue } from "./client.js";
import { byId } from "./dom.js";
import { plainWords } from "./errors.js";

const POLL_MS = 10_000;
const DISMISSED_KEY = "mmrag.dismissedWarning";

let latest: Stats | undefined;
const listeners: Array<(stats: Stats) => void> = [];

export function latestStats(): Stats | undefined {
  return latest;
}

/** Calls `listener` with every fresh answer (and at once, if there is one already). */
export function onStats(listener: (stats: Stats) => void): void {
  listeners.push(listener);
  if (latest) listener(latest);
}

export async function refreshStatus(): Promise<void> {
  const line = byId("server-status");
  try {
    const [stats, catalogues] = await Promise.all([client.stats({ catalogue: currentCatalogue() }), client.catalogues().catch(() => undefined)]);
    if (catalogues) showCatalogues(catalogues.map((c) => c.name));
    latest = stats;
    const rerank = stats.rerank.enabled ? `rerank: ${stats.rerank.model}` : "no rerank LLM";
    line.textContent = `${stats.images} image${stats.images === 1 ? "" : "s"} · ${stats.model.name} · ${rerank} · ${stats.backend}`;
    line.classList.remove("offline");
    showWarning(stats.model.warning);
    for (const listener of listeners) listener(stats);
  } catch (error) {
    const locked = isSdkError(error, "UNAUTHENTICATED");
    line.textContent = locked ? plainWords(error, "asking for the server's status") : `Offline: ${plainWords(error, "asking for the server's status")}`;
    line.classList.add("offline");
  }
}

export function startStatusPolling(): void {
  void refreshStatus();
  setInterval(() => {
    if (document.visibilityState === "visible") void refreshStatus();
  }, POLL_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refreshStatus();
  });
  byId("model-warning-dismiss").addEventListener("click", () => {
    // Remembered per warning text: a different model's warning shows again.
    localStorage.setItem(DISMISSED_KEY, byId("model-warning-text").textContent ?? "");
    byId("model-warning").hidden = true;
  });
}

/** The header's catalogue switcher, shown once the server holds more than one catalogue. */
function showCatalogues(names: string[]): void {
  const box = byId("catalogue-switch-box");
  const select = byId<HTMLSelectElement>("catalogue-switch");
  const current = currentCatalogue();
  if (!names.includes(current)) names = [...names, current];
  box.hidden = names.length < 2;
  if ([...select.options].map((o) => o.value).join("\n") !== names.join("\n")) {
    select.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  select.value = current;
}

/** Switching catalogue: every view and the status line follow. */
export function onCatalogueSwitch(listener: () => void): void {
  byId<HTMLSelectElement>("catalogue-switch").addEventListener("change", (event) => {
    setCatalogue((event.target as HTMLSelectElement).value);
    void refreshStatus();
    listener();
  });
}

function showWarning(warning: string | null): void {
  const banner = byId("model-warning");
  byId("model-warning-text").textContent = warning ?? "";
  banner.hidden = !warning || localStorage.getItem(DISMISSED_KEY) === warning;
}
