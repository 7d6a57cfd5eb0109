// Tiny DOM helpers: the demo is plain DOM, no framework.

type Child = Node | string | number | null | undefined | false;

/** An element with attributes (`class`, `href`, `data-*`, ...), event listeners (`onclick`) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | number | boolean | EventListener | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === "number" ? String(c) : c)));
  return element;
}

/** The element with this id; the page's markup is fixed, so a missing one is a bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Shows a message in an alert box, or hides the box when the message is empty. */
export function showMessage(box: HTMLElement, message: string | undefined): void {
  box.textContent = message ?? "";
  box.hidden = !message;
}

/** Makes a label with a file input accept dropped files too; `onFiles` gets what was dropped or chosen. */
export function dropZone(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  input.addEventListener("change", () => onFiles([...(input.files ?? [])]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0) onFiles(input.multiple ? files : files.slice(0, 1));
  });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** A short human name for a catalogue image: its title or name metadata, else the start of its id. */
export function titleOf(image: { id: string; metadata: Record<string, unknown> }): string {
  for (const key of ["title", "name", "product", "caption"]) {
    const value = image.metadata?.[key];
    if (typeof value === "string" && value.trim()) return value;
  }
  return `image ${image.id.slice(0, 10)}`;
}

/** A display-size rendition (at most 1024 px on a side) of a catalogue image, for the big picture: originals can be 20 MB. */
export function displayUrl(image: { previewUrl: string }): string {
  return image.previewUrl;
}
