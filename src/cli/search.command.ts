// `mmrag search --image PATH --text "..."`: composed search, printed as the ranking, the best pick with the
// LLM's reasons, and the panorama the LLM saw written to a file.
import fs from "node:fs/promises";
import path from "node:path";
import type { RankedResult } from "@mmrag/sdk";
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { hitsTable, titleOf } from "./format.js";
import { resolveImageId, shortId } from "./image-ids.js";
import { fromInvokingDir } from "./paths.js";
import { UsageError } from "./report-error.js";

export interface SearchOptions {
  image?: string;
  imageId?: string;
  text: string;
  limit: number;
  rerank: boolean;
  filter?: Record<string, unknown>;
  /** Where to write the panorama; unset or false (--no-panorama) for nowhere. */
  panorama?: string | false;
  catalogue?: string;
  server?: string;
  json?: boolean;
}

export async function searchCommand(options: SearchOptions, env: Env): Promise<number> {
  if (!options.image === !options.imageId) throw new UsageError("give the query image as --image PATH or --image-id ID (one of them)");
  const image = options.image ? fromInvokingDir(options.image, env) : undefined;
  if (image) await fs.access(image).catch(() => Promise.reject(new UsageError(`cannot read the query image ${image}`)));

  const { result, panoramaFile } = await withConnection(options.server, env, async ({ client }) => {
    const result = await client.searchComposed({
      instruction: options.text,
      limit: options.limit,
      rerank: options.rerank,
      filter: options.filter,
      catalogue: options.catalogue,
      ...(image ? { image } : { imageId: await resolveImageId(client, options.imageId!, options.catalogue) }),
    });
    // Fetched while the connection is open: an in-process server serves it only until the command ends.
    const panoramaFile = result.panoramaUrl && options.panorama ? await download(result.panoramaUrl, fromInvokingDir(options.panorama, env)) : undefined;
    return { result, panoramaFile };
  });

  if (options.json) console.log(JSON.stringify({ ...result, panoramaFile: panoramaFile ?? null }, null, 2));
  else console.log(describe(result, panoramaFile, Boolean(options.server)));
  return 0;
}

async function download(url: string, target: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Could not fetch the panorama ${url}: HTTP ${response.status}`);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, Buffer.from(await response.arrayBuffer()));
  return target;
}

function describe(result: RankedResult, panoramaFile: string | undefined, onServer: boolean): string {
  if (result.ranking.length === 0) return "No catalogue image matched. Add some with `mmrag ingest <folder>` (or `mmrag demo`).";
  const vectorRank = new Map(result.hits.map((hit) => [hit.image.id, hit.rank]));
  const lines = [hitsTable(result.ranking, { best: result.reranked ? result.best?.image.id : undefined, previousRank: result.reranked ? vectorRank : undefined }), ""];
  if (result.best) {
    const title = titleOf(result.best.image);
    // "Best pick" is the LLM's word; without it, the nearest vector is only the closest match.
    lines.push(`${result.reranked ? "Best pick" : "Closest match"}: ${title ? `${title} ` : ""}${shortId(result.best.image.id)} (score ${result.best.score.toFixed(3)})`);
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
  // An in-process server is gone once the command ends, so its URL would lead nowhere.
  else if (result.panoramaUrl && onServer) lines.push(`Panorama (what the LLM saw): ${result.panoramaUrl} (--panorama FILE saves it)`);
  else if (result.panoramaUrl) lines.push("Panorama: add --panorama FILE to save what the LLM saw.");
  const t = result.timings;
  lines.push(`Time: ${Math.round(t.totalMs)} ms (embed ${Math.round(t.embedMs)}, search ${Math.round(t.searchMs)}, rerank ${Math.round(t.rerankMs)}).`);
  return lines.join("\n");
}
