// Reads a ranking out of whatever the LLM said. Models drift from the requested format, so this
// accepts "Ranked list: [3, 1, 2]", bare lists, prose and JSON (fenced or not), then repairs the
// indices: out-of-range and repeated ones are dropped, missing ones keep their vector order at the end.
// The LLM speaks of the numbers on the panorama, which start at 1 as on the user's grid.

export interface ParsedAnswer {
  /** Candidate numbers as the LLM gave them (from 1), before repair. */
  indices: number[];
  explanation: string | null;
}

export interface RepairedOrder {
  /** A permutation of 0..n-1 (positions in the vector order). */
  order: number[];
  /** Numbers the LLM gave that name no candidate, or name one twice. */
  dropped: number[];
  /** Positions the LLM left out, appended in vector order. */
  appended: number[];
}

export function parseTextAnswer(content: string): ParsedAnswer | null {
  const reasons = /\breasons?\s*:/i.exec(content);
  const head = reasons ? content.slice(0, reasons.index) : content;
  const explanation = reasons ? cleanExplanation(content.slice(reasons.index + reasons[0].length)) : null;

  const marker = /ranked\s+list\s*:?/i.exec(head);
  const scope = marker ? head.slice(marker.index + marker[0].length) : head;
  const bracketed = /\[([^\]]*)\]/.exec(scope);
  const listText = bracketed ? bracketed[1] : marker ? firstLine(scope) : scope;
  const indices = [...listText.matchAll(/-?\d+/g)].map((m) => Number(m[0]));
  return indices.length > 0 ? { indices, explanation } : null;
}

export function parseJsonAnswer(content: string): ParsedAnswer | null {
  const start = content.indexOf("{");
  const end = content.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  let value: unknown;
  try {
    value = JSON.parse(content.slice(start, end + 1));
  } catch {
    return null;
  }
  if (!value || typeof value !== "object") return null;
  const { ranking, reasons } = value as { ranking?: unknown; reasons?: unknown };
  if (!Array.isArray(ranking)) return null;
  const indices = ranking.map(Number).filter((n) => Number.isFinite(n));
  if (indices.length === 0) return null;
  return { indices, explanation: typeof reasons === "string" && reasons.trim() !== "" ? reasons.trim() : null };
}

/** JSON with a "ranking" list wins wherever it appears (models wrap it in fences or prose); else the text format. */
export function parseAnswer(content: string): ParsedAnswer | null {
  return parseJsonAnswer(content) ?? parseTextAnswer(content);
}

/** The LLM's candidate numbers (from 1) as a full order of positions (from 0). */
export function repairOrder(numbers: number[], count: number): RepairedOrder {
  const seen = new Set<number>();
  const order: number[] = [];
  const dropped: number[] = [];
  for (const n of numbers) {
    const i = n - 1;
    if (Number.isInteger(i) && i >= 0 && i < count && !seen.has(i)) {
      seen.add(i);
      order.push(i);
    } else dropped.push(n);
  }
  const appended: number[] = [];
  for (let i = 0; i < count; i++) if (!seen.has(i)) appended.push(i);
  return { order: [...order, ...appended], dropped, appended };
}

function firstLine(text: string): string {
  const trimmed = text.trimStart();
  const newline = trimmed.indexOf("\n");
  return newline < 0 ? trimmed : trimmed.slice(0, newline);
}

function cleanExplanation(text: string): string | null {
  const cleaned = text.trim().replace(/^\*+\s*/, "").trim();
  return cleaned === "" ? null : cleaned;
}
