// Plain-text output for people: aligned tables and short image names. --json output skips all of this.
import type { Image, SearchHit } from "@mmrag/sdk";

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

/** The image's title (or name) from its metadata, else "". */
export function titleOf(image: Pick<Image, "metadata">): string {
  for (const key of ["title", "name", "product", "caption"]) {
    const value = (image.metadata as Record<string, unknown> | null)?.[key];
    if (typeof value === "string" && value.trim()) return value.length > 60 ? `${value.slice(0, 57)}...` : value;
  }
  return "";
}

/** Search hits as a table; `previousRank` adds a column for where a hit was before the rerank. */
export function hitsTable(hits: SearchHit[], options: { best?: string; previousRank?: Map<string, number> } = {}): string {
  const columns: Column<SearchHit>[] = [
    { header: "rank", value: (h) => String(h.rank), align: "right" },
    { header: "score", value: (h) => h.score.toFixed(3), align: "right" },
  ];
  if (options.previousRank) columns.push({ header: "vector", value: (h) => `#${options.previousRank!.get(h.image.id) ?? "?"}`, align: "right" });
  columns.push(
    { header: "id", value: (h) => h.image.id },
    { header: "title", value: (h) => titleOf(h.image) },
    { header: "", value: (h) => (h.image.id === options.best ? "<- best pick" : "") },
  );
  return table(hits, columns);
}
