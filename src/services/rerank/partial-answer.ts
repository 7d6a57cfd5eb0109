// Reads what an LLM answer streamed so far already says: the ranking once its list is complete, and the
// explanation up to the last whole character. Both answer formats: JSON ({"ranking": [...], "reasons": "..."})
// and the text format ("Ranked list: [...]" then "Reasons: ...").
import { parseTextAnswer } from "./parse-answer.js";

export interface PartialAnswer {
  /** The LLM's indices, once the list is complete. */
  indices?: number[];
  /** The explanation so far ("" before it starts). */
  explanation: string;
}

export function readPartialAnswer(content: string): PartialAnswer {
  return /^\s*(```(json)?\s*)?\{/.test(content) ? readJson(content) : readText(content);
}

function readJson(content: string): PartialAnswer {
  const list = /"ranking"\s*:\s*\[([^\]]*)\]/.exec(content);
  const indices = list ? [...list[1].matchAll(/-?\d+/g)].map((m) => Number(m[0])) : undefined;
  const reasons = /"reasons"\s*:\s*"/.exec(content);
  return { indices: indices?.length ? indices : undefined, explanation: reasons ? jsonStringPrefix(content.slice(reasons.index + reasons[0].length)) : "" };
}

function readText(content: string): PartialAnswer {
  const reasons = /\breasons?\s*:/i.exec(content);
  const head = reasons ? content.slice(0, reasons.index) : content;
  // Before "Reasons:", the list is complete only once its bracket closes.
  const complete = reasons !== null || /ranked\s+list\s*:?[^\[]*\[[^\]]*\]/i.test(head);
  const indices = complete ? parseTextAnswer(head)?.indices : undefined;
  const explanation = reasons ? content.slice(reasons.index + reasons[0].length).replace(/^\s*\*+/, "").trimStart() : "";
  return { indices, explanation };
}

/** The decoded start of a JSON string body, up to its closing quote or the last complete character. */
function jsonStringPrefix(body: string): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') return out;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) return out;
    if (next === "u") {
      const hex = body.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return out;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
      continue;
    }
    out += ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[next] ?? next;
    i++;
  }
  return out;
}
