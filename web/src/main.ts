// The web demo's entry: three views behind the URL hash (#search, #ingest, #catalogue) and a status line.
import "../styles.css";
import { setUpApiKeyPrompt } from "./api-key.js";
import { byId } from "./dom.js";
import { refreshCatalogue, setUpCatalogueView } from "./catalogue-view.js";
import { setUpIngestView } from "./ingest-view.js";
import { searchWithCatalogueImage, setUpSearchView } from "./search-view.js";
import { onCatalogueSwitch, refreshStatus, startStatusPolling } from "./server-status.js";

const VIEWS = ["search", "ingest", "catalogue"] as const;
type View = (typeof VIEWS)[number];

function show(view: View, params: URLSearchParams): void {
  for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll<HTMLAnchorElement>(".tabs a[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "catalogue") void refreshCatalogue(params);
}

/** "#catalogue?page=3" → the catalogue view on its third page; anything unknown → search. */
function route(): void {
  const [name, query = ""] = location.hash.slice(1).split("?", 2);
  show((VIEWS as readonly string[]).includes(name) ? (name as View) : "search", new URLSearchParams(query));
}

setUpSearchView();
setUpIngestView(() => void refreshStatus());
setUpCatalogueView((image) => {
  searchWithCatalogueImage(image);
  location.hash = "#search";
});
// With a key entered, the status line and the view on screen are asked again.
setUpApiKeyPrompt(() => {
  void refreshStatus();
  route();
});
onCatalogueSwitch(route);
window.addEventListener("hashchange", route);
route();
startStatusPolling();
