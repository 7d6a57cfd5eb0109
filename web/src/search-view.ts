// The search view: a query image (dropped, chosen, or a catalogue image) and an instruction, then the
// ranking as a grid, the best pick with the LLM's explanation, and the panorama the LLM saw.
import type { RankedResult, SearchHit } from "@mmrag/sdk/browser";
import { client } from "./client.js";
import { byId, dropZone, h, showMessage, titleOf } from "./dom.js";
import { plainWords } from "./errors.js";

type Query = { kind: "file"; file: File } | { kind: "catalogue"; id: string; title: string };

let query: Query | undefined;
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
  if (!query) return showMessage(errorBox, "Choose or drop a query image first.");
  if (!instruction) return showMessage(errorBox, "Say what you are looking for, e.g. \"phone case with this image theme\".");
  if (limit < 1 || limit > 100) return showMessage(errorBox, "Results must be between 1 and 100.");

  showMessage(errorBox, undefined);
  button.disabled = true;
  button.textContent = byId<HTMLInputElement>("rerank").checked ? "Searching and asking the LLM…" : "Searching…";
  document.body.classList.add("busy");
  try {
    const result = await client.searchComposed({
      instruction,
      limit,
      rerank: byId<HTMLInputElement>("rerank").checked,
      ...(query.kind === "file" ? { image: query.file } : { imageId: query.id }),
    });
    renderResult(result);
  } catch (error) {
    showMessage(errorBox, plainWords(error, "searching"));
  } finally {
    button.disabled = false;
    button.textContent = "Search";
    document.body.classList.remove("busy");
  }
}

function renderResult(result: RankedResult): void {
  byId("search-results").hidden = false;
  const vectorRank = new Map(result.hits.map((hit) => [hit.image.id, hit.rank]));

  const best = byId("best-pick");
  best.replaceChildren();
  if (!result.best) {
    best.append(h("p", { class: "note" }, "Nothing in the catalogue matched. Add images on the “Add images” tab, or loosen the search."));
  } else {
    const image = result.best.image;
    best.append(
      h("a", { href: image.url, target: "_blank", rel: "noopener", class: "best-image" }, h("img", { src: image.url, alt: titleOf(image) })),
      h(
        "div",
        { class: "best-text" },
        h("p", { class: "label" }, result.reranked ? "Best pick" : "Closest match"),
        h("h2", {}, titleOf(image)),
        h("p", { class: "meta" }, `score ${result.best.score.toFixed(3)} · vector rank ${vectorRank.get(image.id) ?? "?"} · ${image.width}×${image.height} ${image.format}`),
        result.explanation ? h("blockquote", { class: "explanation" }, result.explanation) : null,
        result.model && result.reranked ? h("p", { class: "meta" }, `Ranked by ${result.model}`) : null,
      ),
    );
  }

  const note = byId("rerank-note");
  note.hidden = result.reranked;
  note.textContent = result.reranked ? "" : `Shown in vector order, without the LLM: ${result.rerankError ?? "rerank was off"}.`;
  if (result.instructionTruncated) {
    note.hidden = false;
    note.textContent += " The instruction was longer than the model reads and was cut.";
  }

  const grid = byId("result-grid");
  grid.replaceChildren(...result.ranking.map((hit) => resultCard(hit, hit.image.id === result.best?.image.id, vectorRank.get(hit.image.id))));

  const panoramaBox = byId("panorama-box");
  panoramaBox.hidden = !result.panoramaUrl;
  if (result.panoramaUrl) byId<HTMLImageElement>("panorama").src = result.panoramaUrl;

  const t = result.timings;
  byId("timings").textContent = `${result.hits.length} candidates in ${Math.round(t.totalMs)} ms (embedding ${Math.round(t.embedMs)} ms, vector search ${Math.round(t.searchMs)} ms, LLM ${Math.round(t.rerankMs)} ms)`;
}

function resultCard(hit: SearchHit, isBest: boolean, vectorRank: number | undefined): HTMLLIElement {
  const image = hit.image;
  return h(
    "li",
    { class: isBest ? "result best" : "result", "data-image-id": image.id },
    h("a", { href: image.url, target: "_blank", rel: "noopener" }, h("img", { src: image.thumbnailUrl, alt: titleOf(image), loading: "lazy" })),
    h("span", { class: "rank", title: "Final rank" }, `#${hit.rank}`),
    isBest ? h("span", { class: "best-badge" }, "Best pick") : null,
    h("p", { class: "title" }, titleOf(image)),
    h("p", { class: "meta" }, `score ${hit.score.toFixed(3)}`, vectorRank !== undefined && vectorRank !== hit.rank ? ` · was #${vectorRank}` : ""),
  );
}
