// The catalogue view: a page of images at a time (cursor pagination), each with "search with this" and delete.
import type { Image } from "@mmrag/sdk/browser";
import { client } from "./client.js";
import { byId, formatBytes, h, showMessage, titleOf } from "./dom.js";
import { plainWords } from "./errors.js";

const PAGE_SIZE = 24;
/** endCursor of each page shown so far; the first page has none. */
const cursors: Array<string | undefined> = [undefined];
let page = 0;
let hasNextPage = false;
let searchWith: (image: Image) => void = () => {};

export function setUpCatalogueView(onSearchWith: (image: Image) => void): void {
  searchWith = onSearchWith;
  byId("prev-page").addEventListener("click", () => {
    if (page > 0) void showPage(page - 1);
  });
  byId("next-page").addEventListener("click", () => {
    if (hasNextPage) void showPage(page + 1);
  });
}

/** Shows the current page again (after an ingest or a delete). */
export function refreshCatalogue(): Promise<void> {
  return showPage(page);
}

async function showPage(index: number): Promise<void> {
  const errorBox = byId("catalogue-error");
  try {
    const result = await client.images({ first: PAGE_SIZE, after: cursors[index] });
    // A delete can leave a page empty: step back to the last page that has something.
    if (result.nodes.length === 0 && index > 0) return showPage(index - 1);
    showMessage(errorBox, undefined);
    page = index;
    hasNextPage = result.pageInfo.hasNextPage;
    cursors[index + 1] = result.pageInfo.endCursor ?? undefined;
    cursors.length = index + 2;

    const pages = Math.max(1, Math.ceil(result.totalCount / PAGE_SIZE));
    byId("catalogue-count").textContent = `${result.totalCount} image${result.totalCount === 1 ? "" : "s"}`;
    byId("page-label").textContent = `Page ${index + 1} of ${pages}`;
    byId<HTMLButtonElement>("prev-page").disabled = index === 0;
    byId<HTMLButtonElement>("next-page").disabled = !hasNextPage;
    byId("catalogue-empty").hidden = result.totalCount > 0;
    byId("catalogue-grid").replaceChildren(...result.nodes.map((image) => card(image)));
  } catch (error) {
    showMessage(errorBox, plainWords(error, "loading the catalogue"));
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
      await client.deleteImage({ id: image.id });
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
    h("div", { class: "item-actions" }, h("button", { type: "button", onclick: () => searchWith(image) }, "Search with this"), remove),
  );
}
