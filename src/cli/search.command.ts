// `mmrag search --image PATH --text "..."`: composed search, printed as the ranking, the best pick with the
// LLM's reasons, and the panorama the LLM saw written to a file.
import fs from "node:fs/promises";
import path from "node:path";
import type { RankedResult } from "@mmrag/sdk";
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { hitsTable, titleOf } from "./format.js";
import { UsageError } from "./report-error.js";

export interface SearchOptions {
  image?: string;
  imageId?: string;
  text: string;
  limit: number;
  rerank: boolean;
  filter?: Record<string, unknown>;
  /** Where to write the panorama; false for nowhere. */
  panorama: string | false;
  server?: string;
  json?: boolean;
}

export async function searchCommand(options: SearchOptions, env: Env): Promise<number> {
  if (!options.image === !options.imageId) throw new UsageError("give the query image as --image PATH or --image-id ID (one of them)");
  if (options.image) await fs.access(options.image).catch(() => Promise.reject(new UsageError(`cannot read the query image ${options.image}`)));

  const { result, panoramaFile } = await withConnection(options.server, env, async ({ client }) => {
    const result = await client.searchComposed({
      instruction: options.text,
      limit: options.limit,
      rerank: options.rerank,
      filter: options.filter,
      ...(options.image ? { image: options.image } : { imageId: options.imageId }),
    });
    // Fetched while the connection is open: an in-process server serves it only until the command ends.
    const panoramaFile = result.panoramaUrl && options.panorama ? await download(result.panoramaUrl, options.panorama) : undefined;
    return { result, panoramaFile };
  });

  if (options.json) console.log(JSON.stringify({ ...result, panoramaFile: panoramaFile ?? null }, null, 2));
  else console.log(describe(result, panoramaFile));
  return 0;
}

async function download(url: string, file: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch the panorama ${url}: HTTP ${response.status}`);
  const target = path.resolve(file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, Buffer.from(await response.arrayBuffer()));
  return target;
}

function describe(result: RankedResult, panoramaFile: string | undefined): string {
  if (result.ranking.length === 0) return "No catalogue image matched. Add some with `mmrag ingest <folder>` (or `mmrag demo`).";
  const vectorRank = new Map(result.hits.map((hit) => [hit.image.id, hit.rank]));
  const lines = [hitsTable(result.ranking, { best: result.best?.image.id, previousRank: result.reranked ? vectorRank : undefined }), ""];
  if (result.best) {
    const title = titleOf(result.best.image);
    lines.push(`Best pick: ${title ? `${title} ` : ""}${result.best.image.id} (score ${result.best.score.toFixed(3)})`);
    lines.push(`  ${result.best.image.url}`);
  }
  if (result.reranked) {
    if (result.explanation) lines.push(`Why: ${result.explanation}`);
    lines.push(`Reranked by ${result.model}.`);
  } else {
    lines.push(`Not reranked, vector order: ${result.rerankError ?? "rerank was off"}.`);
  }
  if (result.instructionTruncated) lines.push("Note: the instruction was longer than the model reads and was cut.");
  if (panoramaFile) lines.push(`Panorama (what the LLM saw): ${panoramaFile}`);
  const t = result.timings;
  lines.push(`Time: ${Math.round(t.totalMs)} ms (embed ${Math.round(t.embedMs)}, search ${Math.round(t.searchMs)}, rerank ${Math.round(t.rerankMs)}).`);
  return lines.join("\n");
}
