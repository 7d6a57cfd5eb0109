// Plain-text output for people: aligned tables and short image names. --json output skips all of this.
import type { Image, SearchHit } from "@mmrag/sdk";
import { shortId } from "./image-ids.js";

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: "left" | "right";
}

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].align === "right" ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** The image's title (or name) from its metadata, cut to `max` characters, else "". */
export function titleOf(image: Pick<Image, "metadata">, max = 60): string {
  for (const key of ["title", "name", "product", "caption"]) {
    const value = (image.metadata as Record<string, unknown> | null)?.[key];
    if (typeof value === "string" && value.trim()) return value.length > max ? `${value.slice(0, max - 3)}...` : value;
  }
  return "";
}

/** The terminal's width; 80 when output goes to a pipe or a file. */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : 80;
}

/** Search hits as a table that fits the terminal (80 columns in a pipe); `previousRank` adds a column for where a hit was before the rerank. */
export function hitsTable(hits: SearchHit[], options: { best?: string; previousRank?: Map<string, number>; columns?: number } = {}): string {
  // rank, score, vector, id and the best-pick marker take about 45 columns with their gaps; titles get the rest.
  const titleWidth = Math.max(12, (options.columns ?? terminalColumns()) - (options.previousRank ? 45 : 37));
  const columns: Column<SearchHit>[] = [
    { header: "rank", value: (h) => String(h.rank), align: "right" },
    { header: "score", value: (h) => h.score.toFixed(3), align: "right" },
  ];
  if (options.previousRank) columns.push({ header: "vector", value: (h) => `#${options.previousRank!.get(h.image.id) ?? "?"}`, align: "right" });
  columns.push(
    { header: "id", value: (h) => shortId(h.image.id) },
    { header: "title", value: (h) => titleOf(h.image, titleWidth) },
    { header: "", value: (h) => (h.image.id === options.best ? "<- best" : "") },
  );
  return table(hits, columns);
}
