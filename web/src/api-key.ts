// Asks for an API key when the server refuses a call with UNAUTHENTICATED, then retries what the page shows.
import { setApiKey } from "./client.js";
import { byId } from "./dom.js";
import { API_KEY_NEEDED } from "./errors.js";

export function setUpApiKeyPrompt(onKey: () => void): void {
  const form = byId<HTMLFormElement>("api-key-form");
  const input = byId<HTMLInputElement>("api-key");
  window.addEventListener(API_KEY_NEEDED, (event) => {
    const wasHidden = form.hidden;
    form.hidden = false;
    const reason = (event as CustomEvent<string>).detail;
    byId("api-key-reason").textContent = reason ? ` ${reason.replace(/\.?$/, ".")}` : "";
    if (wasHidden) input.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    setApiKey(key);
    input.value = "";
    form.hidden = true;
    onKey();
  });
}
