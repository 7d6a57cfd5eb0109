// The model families model.json can name. A new family is its embedder file (which exports its
// EmbedderFamily) plus one line here, and a model.json with `"family": "<name>"`.
import { ConfigError } from "../../errors.js";
import type { ModelManifest } from "../../model-tooling/manifest.js";
import { clipFamily } from "./clip.embedder.js";
import type { EmbedderFamily } from "./embedding-service.js";
import { visualizedBgeFamily } from "./visualized-bge.embedder.js";

export const FAMILIES: readonly EmbedderFamily[] = [visualizedBgeFamily, clipFamily];

/** The family a manifest names, after its family-specific checks; a ConfigError names what is wrong. */
export function familyFor(manifest: ModelManifest, folder: string): EmbedderFamily {
  const family = FAMILIES.find((f) => f.name === manifest.family);
  if (!family) {
    throw new ConfigError(`Model "${manifest.name}" in ${folder}: family "${manifest.family}" is not one we run (${FAMILIES.map((f) => f.name).join(", ")})`);
  }
  const problems = [
    ...family.graphs.filter((g) => !(manifest.graphs as Record<string, unknown>)[g]).map((g) => `graphs.${g} is required for family ${family.name}`),
    ...(family.manifestProblems?.(manifest) ?? []),
  ];
  if (problems.length > 0) throw new ConfigError(`Model "${manifest.name}" in ${folder}: model.json ${problems.join("; ")}`);
  return family;
}
