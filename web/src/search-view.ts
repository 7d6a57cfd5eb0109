// The search view: a query image (dropped, chosen, or a catalogue image) and an instruction, then the
// ranking as a grid, the best pick with the LLM's explanation, and the panorama the LLM saw.
// One numbering everywhere: a candidate's number is its place in the vector order (1-based), the number
// the panorama draws and the LLM's explanation cites; the grid is in the final order.
import type { RankedResult, SearchHit, Stats } from "@mmrag/sdk/browser";
import { client, currentCatalogue } from "./client.js";
import { byId, displayUrl, dropZone, h, showMessage, titleOf } from "./dom.js";
import { plainWords } from "./errors.js";
import { latestStats, onStats } from "./server-status.js";

type Query = { kind: "file"; file: File } | { kind: "catalogue"; id: string; title: string };

let query: Query | undefined;
/** The search waiting for the LLM's answer, to stop it. */
let llmWait: AbortController | undefined;
let previewUrl: string | undefined;

export function setUpSearchView(): void {
  const form = byId<HTMLFormElement>("search-form");
  dropZone(byId("query-drop"), byId<HTMLInputElement>("query-file"), ([file]) => {
    if (!file) return;
    if (!file.type.startsWith("image/") && file.type !== "") {
      showMessage(byId("search-error"), `"${file.name}" is not an image. Choose a JPEG, PNG or WebP picture.`);
      return;
    }
    showMessage(byId("search-error"), undefined);
    setQuery({ kind: "file", file }, URL.createObjectURL(file), file.name);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void runSearch();
  });
  onStats(showRerankAvailability);
}

/** Says up front whether the LLM can rerank: with no endpoint configured, the toggle is off and says why. */
function showRerankAvailability(stats: Stats): void {
  const toggle = byId<HTMLInputElement>("rerank");
  const reason = byId("rerank-off");
  const wasDisabled = toggle.disabled;
  toggle.disabled = !stats.rerank.enabled;
  if (!stats.rerank.enabled) toggle.checked = false;
  else if (wasDisabled) toggle.checked = true;
  reason.hidden = stats.rerank.enabled;
  reason.textContent = stats.rerank.reason ?? "";
}

/** Uses a catalogue image as the query (the catalogue view's "Search with this"). */
export function searchWithCatalogueImage(image: { id: string; thumbnailUrl: string; metadata: Record<string, unknown> }): void {
  setQuery({ kind: "catalogue", id: image.id, title: titleOf(image) }, image.thumbnailUrl, titleOf(image));
}

function setQuery(next: Query, imageUrl: string, label: string): void {
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = next.kind === "file" ? imageUrl : undefined;
  query = next;
  const preview = byId<HTMLImageElement>("query-preview");
  preview.src = imageUrl;
  preview.hidden = false;
  byId("query-hint").textContent = `${label} (drop or choose another)`;
}

async function runSearch(): Promise<void> {
  const errorBox = byId("search-error");
  const button = byId<HTMLButtonElement>("search-button");
  const instruction = byId<HTMLInputElement>("instruction").value.trim();
  const limit = Number(byId<HTMLInputElement>("limit").value) || 9;
  if (!query) return showError("Choose or drop a query image first.");
  if (!instruction) return showError("Say what you are looking for, e.g. \"phone case with this image theme\".");
  if (limit < 1 || limit > 100) return showError("Results must be between 1 and 100.");

  showMessage(errorBox, undefined);
  const rerank = byId<HTMLInputElement>("rerank").checked;
  // A new search replaces the one still waiting for its LLM.
  llmWait?.abort();
  const wait = new AbortController();
  llmWait = wait;
  button.disabled = true;
  button.textContent = "Searching…";
  document.body.classList.add("busy");
  const variables = { instruction, limit, catalogue: currentCatalogue(), ...(query.kind === "file" ? { image: query.file } : { imageId: query.id }) };
  if (rerank && query.kind === "catalogue") return streamSearch({ ...variables, imageId: query.id }, wait);
  // The vector hits come back in a fraction of a second, the LLM's pick can take many: both are asked at
  // once, the hits are shown as soon as they arrive, and the pick replaces them when (if) it comes.
  const reranked = rerank ? client.searchComposed({ ...variables, rerank: true }, { signal: wait.signal }) : undefined;
  reranked?.catch(() => undefined); // awaited below; this keeps an early failure from going unhandled meanwhile
  try {
    const vector = await client.searchComposed({ ...variables, rerank: false }, { signal: wait.signal });
    if (llmWait !== wait) return;
    renderResult(vector, false, reranked !== undefined);
    if (!reranked) return;
    button.disabled = false;
    button.textContent = "Search";
    document.body.classList.remove("busy");
    const final = await reranked;
    if (llmWait === wait) renderResult(final, true);
  } catch (error) {
    if (wait.signal.aborted) return;
    showError(plainWords(error, "searching"));
  } finally {
    if (llmWait === wait) {
      llmWait = undefined;
      button.disabled = false;
      button.textContent = "Search";
      document.body.classList.remove("busy");
    }
  }
}

/**
 * A catalogue image as the query: one searchComposedStream over graphql-ws gives the vector hits first and the
 * LLM's result last (uploads cannot travel over a WebSocket, so a file query asks twice over HTTP instead).
 */
async function streamSearch(variables: { instruction: string; limit: number; catalogue: string; imageId: string }, wait: AbortController): Promise<void> {
  const button = byId<HTMLButtonElement>("search-button");
  try {
    for await (const event of client.searchComposedStream({ ...variables, rerank: true }, { signal: wait.signal })) {
      if (llmWait !== wait) return;
      if (event.kind === "HITS" && event.hits) {
        renderResult(vectorOnly(event.hits), false, true);
        button.disabled = false;
        button.textContent = "Search";
        document.body.classList.remove("busy");
      } else if (event.result) {
        renderResult(event.result, true);
      }
    }
  } catch (error) {
    if (!wait.signal.aborted) showError(plainWords(error, "searching"));
  } finally {
    if (llmWait === wait) {
      llmWait = undefined;
      button.disabled = false;
      button.textContent = "Search";
      document.body.classList.remove("busy");
    }
  }
}

/** The vector hits as a result the page can show while the LLM is still at work. */
function vectorOnly(hits: SearchHit[]): RankedResult {
  return {
    instruction: "",
    instructionTruncated: false,
    best: hits[0] ?? null,
    explanation: null,
    ranking: hits,
    hits,
    reranked: false,
    rerankError: null,
    model: null,
    panoramaUrl: null,
    timings: { embedMs: 0, searchMs: 0, rerankMs: 0, totalMs: 0 },
  };
}

/** Stop waiting for the LLM: the vector order on screen stays. */
function stopWaitingForLlm(): void {
  llmWait?.abort();
  llmWait = undefined;
  const note = byId("rerank-note");
  note.replaceChildren("You stopped the LLM: these are in vector order.");
  note.className = "notice";
}

/** An error replaces what was on screen: old results under a new error read as this search's results. */
function showError(message: string): void {
  byId("search-results").hidden = true;
  byId("search-empty").hidden = true;
  showMessage(byId("search-error"), message);
  bringIntoView(byId("search-error"));
}

function renderResult(result: RankedResult, rerankAsked: boolean, llmPending = false): void {
  const results = byId("search-results");
  if (result.ranking.length === 0) {
    results.hidden = true;
    const empty = byId("search-empty");
    const stats = latestStats();
    // Nothing matched in a catalogue that has images only happens with a filter; the demo sends none.
    empty.querySelector("h2")!.textContent = stats && stats.images > 0 ? "Nothing in the catalogue matched" : "The catalogue has no images yet";
    empty.hidden = false;
    bringIntoView(empty);
    return;
  }
  byId("search-empty").hidden = true;
  results.hidden = false;
  const candidate = new Map(result.hits.map((hit) => [hit.image.id, hit.rank]));

  const best = byId("best-pick");
  best.replaceChildren();
  if (result.best) {
    const image = result.best.image;
    best.append(
      h("a", { href: image.url, target: "_blank", rel: "noopener", class: "best-image" }, h("img", { src: displayUrl(image), alt: titleOf(image) })),
      h(
        "div",
        { class: "best-text" },
        h("p", { class: "label" }, result.reranked ? "Best pick" : "Closest match"),
        h("h2", {}, titleOf(image)),
        h("p", { class: "meta" }, `candidate #${candidate.get(image.id) ?? "?"} · score ${result.best.score.toFixed(3)} · ${image.width}×${image.height} ${image.format}`),
        result.explanation ? h("blockquote", { class: "explanation" }, result.explanation) : null,
        result.model && result.reranked ? h("p", { class: "meta" }, `Ranked by ${result.model}`) : null,
      ),
    );
  }

  const note = byId("rerank-note");
  const notes: string[] = [];
  // Asked for and not done is something to notice; not asked for is just how the page was set.
  const failed = rerankAsked && !result.reranked;
  if (llmPending) notes.push("In vector order for now: asking the LLM for its pick…");
  else if (failed) notes.push(`The LLM did not rerank these, so they are in vector order: ${result.rerankError ?? "no reason given"}.`);
  else if (!result.reranked) notes.push("In vector order: rerank with the LLM was off.");
  if (result.instructionTruncated) notes.push("The instruction was longer than the model reads and was cut.");
  note.replaceChildren(notes.join(" "));
  if (llmPending) note.append(" ", h("button", { type: "button", id: "rerank-stop", onclick: stopWaitingForLlm }, "Stop waiting"));
  note.hidden = notes.length === 0;
  note.className = failed || result.instructionTruncated ? "notice warning" : llmPending ? "notice pending" : "notice";

  const grid = byId("result-grid");
  grid.replaceChildren(...result.ranking.map((hit) => resultCard(hit, result.reranked && hit.image.id === result.best?.image.id, candidate.get(hit.image.id))));

  const panoramaBox = byId("panorama-box");
  panoramaBox.hidden = !result.panoramaUrl;
  if (result.panoramaUrl) byId<HTMLImageElement>("panorama").src = result.panoramaUrl;

  const t = result.timings;
  byId("timings").hidden = llmPending;
  byId("timings").textContent = `${result.hits.length} candidates in ${Math.round(t.totalMs)} ms (embedding ${Math.round(t.embedMs)} ms, vector search ${Math.round(t.searchMs)} ms, LLM ${Math.round(t.rerankMs)} ms)`;
  bringIntoView(results);
}

function resultCard(hit: SearchHit, isBest: boolean, number: number | undefined): HTMLLIElement {
  const image = hit.image;
  return h(
    "li",
    { class: isBest ? "result best" : "result", "data-image-id": image.id },
    h("a", { href: image.url, target: "_blank", rel: "noopener" }, h("img", { src: image.thumbnailUrl, alt: titleOf(image), loading: "lazy" })),
    h("span", { class: "rank", title: "Candidate number, as in the panorama and the LLM's explanation" }, `#${number ?? hit.rank}`),
    isBest ? h("span", { class: "best-badge" }, "Best pick") : null,
    h("p", { class: "title" }, titleOf(image)),
    h("p", { class: "meta" }, `score ${hit.score.toFixed(3)}`),
  );
}

/** Scrolls an element up when it starts below the fold (on a phone, results start under the form). */
function bringIntoView(element: HTMLElement): void {
  if (element.getBoundingClientRect().top > window.innerHeight * 0.6) {
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    element.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
  }
}
