// `mmrag stats`: what the catalogue holds and what the server runs.
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";

export interface StatsOptions {
  catalogue?: string;
  server?: string;
  json?: boolean;
}

export async function statsCommand(options: StatsOptions, env: Env): Promise<number> {
  const stats = await withConnection(options.server, env, ({ client }) => client.stats({ catalogue: options.catalogue }));
  if (options.json) {
    console.log(JSON.stringify(stats, null, 2));
    return 0;
  }
  const m = stats.model;
  const lines = [
    `Images:  ${stats.images}${options.catalogue ? ` in the catalogue "${options.catalogue}"` : ""}`,
    `Model:   ${m.name} (${m.family}, ${m.dimension}-d, ${m.source})`,
    `Milvus:  ${stats.backend}, collection ${stats.collection}, ${stats.index} index, ${stats.dimension}-d vectors`,
  ];
  if (m.warning) lines.push(`Warning: ${m.warning}`);
  if (stats.warning) lines.push(`Warning: ${stats.warning}`);
  console.log(lines.join("\n"));
  return 0;
}
