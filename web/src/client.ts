// The one SDK client the demo talks through: same origin, HTTP for queries and uploads, graphql-ws for progress.
// A server with API keys answers UNAUTHENTICATED until the person enters one: it is kept for this tab only
// (sessionStorage) and sent by the SDK on both transports.
import { createClient, type MmragClient } from "@mmrag/sdk/browser";

const API_KEY = "mmrag.apiKey";
const url = new URL("graphql", document.baseURI).href;

function make(): MmragClient {
  return createClient({ url, apiKey: sessionStorage.getItem(API_KEY) ?? undefined });
}

/** Reassigned when the key changes; importers see the new client (ES module live binding). */
export let client: MmragClient = make();

export function hasApiKey(): boolean {
  return sessionStorage.getItem(API_KEY) !== null;
}

export function setApiKey(key: string | undefined): void {
  if (key) sessionStorage.setItem(API_KEY, key);
  else sessionStorage.removeItem(API_KEY);
  const old = client;
  client = make();
  void old.close();
}

const CATALOGUE = "mmrag.catalogue";
const DEFAULT_CATALOGUE = "default";

/** The catalogue every view works on; chosen in the header once the server has more than one. */
export function currentCatalogue(): string {
  return localStorage.getItem(CATALOGUE) ?? DEFAULT_CATALOGUE;
}

export function setCatalogue(name: string): void {
  if (name === DEFAULT_CATALOGUE) localStorage.removeItem(CATALOGUE);
  else localStorage.setItem(CATALOGUE, name);
}
