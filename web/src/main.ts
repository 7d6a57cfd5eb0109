// The web demo's entry: three views behind the URL hash (#search, #ingest, #catalogue) and a status line.
import "../styles.css";
import { client } from "./client.js";
import { byId } from "./dom.js";
import { plainWords } from "./errors.js";
import { refreshCatalogue, setUpCatalogueView } from "./catalogue-view.js";
import { setUpIngestView } from "./ingest-view.js";
import { searchWithCatalogueImage, setUpSearchView } from "./search-view.js";

const VIEWS = ["search", "ingest", "catalogue"] as const;
type View = (typeof VIEWS)[number];

function show(view: View): void {
  for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>(".tabs a[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "catalogue") void refreshCatalogue();
}

function route(): void {
  const view = location.hash.slice(1);
  show((VIEWS as readonly string[]).includes(view) ? (view as View) : "search");
}

async function refreshStatus(): Promise<void> {
  const line = byId("server-status");
  try {
    const stats = await client.stats();
    line.textContent = `${stats.images} image${stats.images === 1 ? "" : "s"} · ${stats.model.name} · ${stats.backend}`;
    line.classList.remove("offline");
    const warning = byId("model-warning");
    warning.hidden = !stats.model.warning;
    warning.textContent = stats.model.warning ?? "";
  } catch (error) {
    line.textContent = plainWords(error, "asking for the server's status");
    line.classList.add("offline");
  }
}

setUpSearchView();
setUpIngestView(() => void refreshStatus());
setUpCatalogueView((image) => {
  searchWithCatalogueImage(image);
  location.hash = "#search";
});
window.addEventListener("hashchange", route);
route();
void refreshStatus();
