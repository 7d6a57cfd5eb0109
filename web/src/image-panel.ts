// The details panel: an image's facts and its metadata as a form (title, category, price, tags, and the rest
// as JSON), saved with updateImage. The image itself and its vector stay as they are.
import type { Image } from "@mmrag/sdk/browser";
import { client, currentCatalogue } from "./client.js";
import { byId, displayUrl, formatBytes, showMessage } from "./dom.js";
import { plainWords } from "./errors.js";

const FIELDS = ["title", "category", "price", "tags"] as const;
let shown: Image | undefined;
let onSaved: (image: Image) => void = () => {};

export function setUpImagePanel(saved: (image: Image) => void): void {
  onSaved = saved;
  byId("panel-close").addEventListener("click", closeImagePanel);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !byId("image-panel").hidden) closeImagePanel();
  });
  byId<HTMLFormElement>("panel-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void save();
  });
}

export function openImagePanel(image: Image): void {
  shown = image;
  const metadata = { ...(image.metadata ?? {}) } as Record<string, unknown>;
  byId<HTMLImageElement>("panel-image").src = displayUrl(image);
  byId<HTMLImageElement>("panel-image").alt = String(metadata.title ?? "");
  byId("panel-facts").textContent = `${image.id.slice(0, 12)} · ${image.width}×${image.height} ${image.format} · ${formatBytes(image.bytes)}`;
  for (const field of FIELDS) {
    const value = metadata[field];
    delete metadata[field];
    byId<HTMLInputElement>(`panel-field-${field}`).value = value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value);
  }
  byId<HTMLTextAreaElement>("panel-field-other").value = Object.keys(metadata).length ? JSON.stringify(metadata, null, 2) : "";
  showMessage(byId("panel-error"), undefined);
  byId("panel-saved").textContent = "";
  byId("image-panel").hidden = false;
  byId<HTMLInputElement>("panel-field-title").focus();
}

export function closeImagePanel(): void {
  byId("image-panel").hidden = true;
  shown = undefined;
}

/** The form as metadata; a message instead when it cannot be read. */
function readForm(): Record<string, unknown> | string {
  const other = byId<HTMLTextAreaElement>("panel-field-other").value.trim();
  let metadata: Record<string, unknown> = {};
  if (other) {
    try {
      metadata = JSON.parse(other);
    } catch {
      return "Other metadata is not valid JSON: write it as {\"key\": \"value\"}.";
    }
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return "Other metadata must be a JSON object, like {\"brand\": \"Acme\"}.";
  }
  const text = (field: string) => byId<HTMLInputElement>(`panel-field-${field}`).value.trim();
  if (text("title")) metadata.title = text("title");
  if (text("category")) metadata.category = text("category");
  if (text("price")) {
    const price = Number(text("price"));
    if (!Number.isFinite(price)) return "Price must be a number, like 12.99.";
    metadata.price = price;
  }
  const tags = text("tags").split(",").map((tag) => tag.trim()).filter(Boolean);
  if (tags.length) metadata.tags = tags;
  return metadata;
}

async function save(): Promise<void> {
  if (!shown) return;
  const metadata = readForm();
  if (typeof metadata === "string") return showMessage(byId("panel-error"), metadata);
  const button = byId<HTMLButtonElement>("panel-save");
  button.disabled = true;
  try {
    // The whole metadata object, not a merge: a field emptied here is meant to go.
    const updated = await client.updateImage({ id: shown.id, metadata, merge: false, catalogue: currentCatalogue() });
    shown = updated;
    showMessage(byId("panel-error"), undefined);
    byId("panel-saved").textContent = "Saved.";
    onSaved(updated);
  } catch (error) {
    showMessage(byId("panel-error"), plainWords(error, "saving the details"));
  } finally {
    button.disabled = false;
  }
}
