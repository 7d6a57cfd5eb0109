// The model folders under MODELS_DIR (and generated ones under .generated), with whether each is complete.
import fs from "node:fs/promises";
import path from "node:path";
import { findMissingFiles, readManifest } from "./manifest.js";

export interface ListedModel {
  name: string;
  family: string;
  dimension: number;
  generated: boolean;
  folder: string;
  status: "ready" | `missing ${number} file(s)` | "invalid manifest";
}

export async function listModels(modelsDir: string): Promise<ListedModel[]> {
  const out: ListedModel[] = [];
  for (const parent of [modelsDir, path.join(modelsDir, ".generated")]) {
    const entries = await fs.readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const folder = path.join(parent, entry.name);
      try {
        const manifest = await readManifest(folder);
        const missing = (await findMissingFiles(folder, manifest)).length;
        out.push({ name: entry.name, family: manifest.family, dimension: manifest.dimension, generated: manifest.generated, folder, status: missing === 0 ? "ready" : `missing ${missing} file(s)` });
      } catch {
        if (await fs.stat(path.join(folder, "model.json")).catch(() => undefined)) out.push({ name: entry.name, family: "?", dimension: 0, generated: false, folder, status: "invalid manifest" });
      }
    }
  }
  return out;
}
