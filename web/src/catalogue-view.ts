// The catalogue view: a page of images at a time (cursor pagination), newest first or by id, filtered by
// title, each with details (an editable side panel), "search with this" and delete. What is shown is in the
// URL (#catalogue?page=3&q=leopard&order=id), so a reload or a shared link opens the same page.
import type { Image, ImageOrder } from "@mmrag/sdk/browser";
import { client, currentCatalogue } from "./client.js";
import { byId, formatBytes, h, showMessage, titleOf } from "./dom.js";
import { plainWords } from "./errors.js";
import { openImagePanel, setUpImagePanel } from "./image-panel.js";

const PAGE_SIZE = 24;
/** endCursor of each page reached so far; the first page has none. Valid for one listing (see `listing`). */
let cursors: Array<string | undefined> = [undefined];
let page = 0;
let hasNextPage = false;
/** What the cursors belong to: the catalogue, the title filter and the order. */
let listing = { catalogue: "", q: "", order: "NEWEST_FIRST" as ImageOrder };
let searchWith: (image: Image) => void = () => {};
/** Bumped by every refresh: an answer to an older one (a slow page, a filter typed over) is dropped, not drawn. */
let latest = 0;

export function setUpCatalogueView(onSearchWith: (image: Image) => void): void {
  searchWith = onSearchWith;
  setUpImagePanel(() => void refreshCatalogue());
  let typing: ReturnType<typeof setTimeout> | undefined;
  byId("catalogue-search").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => goTo(0), 300);
  });
  byId("catalogue-sort").addEventListener("change", () => goTo(0));
  byId<HTMLFormElement>("catalogue-tools").addEventListener("submit", (event) => {
    event.preventDefault();
    goTo(0);
  });
  byId("prev-page").addEventListener("click", () => {
    if (page > 0) goTo(page - 1);
  });
  byId("next-page").addEventListener("click", () => {
    if (hasNextPage) goTo(page + 1);
  });
}

/** Moves to a page through the URL, so Back returns to the page before. */
function goTo(index: number): void {
  location.hash = hashFor(index);
}

function hashFor(index: number): string {
  const params = new URLSearchParams();
  if (index > 0) params.set("page", String(index + 1));
  const q = byId<HTMLInputElement>("catalogue-search").value.trim();
  if (q) params.set("q", q);
  if (byId<HTMLSelectElement>("catalogue-sort").value === "ID") params.set("order", "id");
  const query = params.toString();
  return query ? `#catalogue?${query}` : "#catalogue";
}

/** Shows the page the URL names (1-based `page`), or the current page again after an ingest or a delete. */
export async function refreshCatalogue(params?: URLSearchParams): Promise<void> {
  if (params) {
    byId<HTMLInputElement>("catalogue-search").value = params.get("q") ?? "";
    byId<HTMLSelectElement>("catalogue-sort").value = params.get("order") === "id" ? "ID" : "NEWEST_FIRST";
  }
  const next = { catalogue: currentCatalogue(), q: byId<HTMLInputElement>("catalogue-search").value.trim(), order: byId<HTMLSelectElement>("catalogue-sort").value as ImageOrder };
  if (JSON.stringify(next) !== JSON.stringify(listing)) {
    listing = next;
    cursors = [undefined];
  }
  const asked = params ? Number(params.get("page") ?? 1) : page + 1;
  const index = Number.isInteger(asked) && asked >= 1 ? asked - 1 : 0;
  const moved = index !== page;
  const ticket = ++latest;
  await showPage(index, ticket);
  // A new page starts at its top, not where the last one's Next button was.
  if (moved && ticket === latest) byId("view-catalogue").scrollIntoView({ block: "start" });
}

/** The cursor that starts page `index`, walking from the last page reached (a link can name any page). */
async function cursorFor(index: number, ticket: number): Promise<string | undefined | null> {
  let known = Math.min(index, cursors.length - 1);
  while (known < index) {
    const result = await client.images({ ...query(), first: PAGE_SIZE, after: cursors[known] });
    if (ticket !== latest) return undefined; // a newer refresh owns `cursors` now
    if (!result.pageInfo.hasNextPage) return null;
    cursors[++known] = result.pageInfo.endCursor ?? undefined;
  }
  return cursors[index];
}

function query() {
  return { catalogue: listing.catalogue, orderBy: listing.order, filter: listing.q ? { titleContains: listing.q } : undefined };
}

async function showPage(index: number, ticket: number): Promise<void> {
  const errorBox = byId("catalogue-error");
  try {
    const after = await cursorFor(index, ticket);
    if (ticket !== latest) return;
    // Past the end (a stale link, or a delete emptied the last page): the last page that has something.
    if (after === null && index > 0) return showPage(Math.max(0, cursors.length - 2), ticket);
    const result = await client.images({ ...query(), first: PAGE_SIZE, after: after ?? undefined });
    if (ticket !== latest) return;
    if (result.nodes.length === 0 && index > 0) return showPage(index - 1, ticket);
    showMessage(errorBox, undefined);
    page = index;
    // Stepped back from a page that is gone: the URL says where we are.
    if (location.hash.startsWith("#catalogue") && location.hash !== hashFor(index)) history.replaceState(null, "", hashFor(index));
    hasNextPage = result.pageInfo.hasNextPage;
    cursors[index + 1] = result.pageInfo.endCursor ?? undefined;
    cursors.length = index + 2;

    const pages = Math.max(1, Math.ceil(result.totalCount / PAGE_SIZE));
    byId("catalogue-count").textContent = `${result.totalCount} image${result.totalCount === 1 ? "" : "s"}${listing.q ? ` with “${listing.q}” in the title` : ""}`;
    byId("page-label").textContent = `Page ${index + 1} of ${pages}`;
    byId<HTMLButtonElement>("prev-page").disabled = index === 0;
    byId<HTMLButtonElement>("next-page").disabled = !hasNextPage;
    byId("catalogue-empty").hidden = result.totalCount > 0 || Boolean(listing.q);
    byId("catalogue-grid").replaceChildren(...result.nodes.map((image) => card(image)));
  } catch (error) {
    if (ticket === latest) showMessage(errorBox, plainWords(error, "loading the catalogue"));
  }
}

function card(image: Image): HTMLLIElement {
  const remove = h("button", { type: "button", class: "danger" }, "Delete");
  let armed: ReturnType<typeof setTimeout> | undefined;
  // Two clicks to delete: the first one asks, so a stray click loses nothing.
  remove.addEventListener("click", async () => {
    if (!armed) {
      remove.textContent = "Really delete?";
      armed = setTimeout(() => {
        armed = undefined;
        remove.textContent = "Delete";
      }, 4000);
      return;
    }
    clearTimeout(armed);
    remove.disabled = true;
    try {
      await client.deleteImage({ id: image.id, catalogue: currentCatalogue() });
      await refreshCatalogue();
    } catch (error) {
      showMessage(byId("catalogue-error"), plainWords(error, "deleting the image"));
      remove.disabled = false;
    }
  });
  return h(
    "li",
    { class: "catalogue-item", "data-image-id": image.id },
    h("a", { href: image.url, target: "_blank", rel: "noopener" }, h("img", { src: image.thumbnailUrl, alt: titleOf(image), loading: "lazy" })),
    h("p", { class: "title", title: image.id }, titleOf(image)),
    h("p", { class: "meta" }, `${image.width}×${image.height} ${image.format} · ${formatBytes(image.bytes)}`),
    h(
      "div",
      { class: "item-actions" },
      h("button", { type: "button", class: "details", onclick: () => openImagePanel(image) }, "Details"),
      h("button", { type: "button", onclick: () => searchWith(image) }, "Search with this"),
      remove,
    ),
  );
}
