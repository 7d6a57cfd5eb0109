// The prompt the seed sends GPT-4o, with candidates numbered from 1 as the panorama labels them (and as the
// user sees them), and
// each candidate's metadata cut to a budget (product JSONs can be kilobytes; the LLM needs a line).

export type AnswerFormat = "json_schema" | "text";

const TASK =
  "You are responsible for ranking results for a Composed Image Retrieval. " +
  "The user retrieves an image with an 'instruction' indicating their retrieval intent. " +
  "For example, if the user queries a red car with the instruction 'change this car to blue', a similar type of car in blue would be ranked higher in the results. " +
  "Now you receive the instruction and a panorama: the query image is on the left with a blue border and the label 'query'; " +
  "every candidate has its red index number on white in its top-left corner. Do not mistake the index numbers for part of the images.";

const TEXT_FORMAT =
  "Provide a new ranked list of indices from most suitable to least suitable, followed by an explanation for the top 1 most suitable item only. " +
  "The format of the response has to be 'Ranked list: []' with the indices in brackets as integers, followed by 'Reasons:' plus the explanation why this most fits the user's query intent.";

const JSON_FORMAT =
  'Answer with JSON: "ranking" is the list of indices (integers) from most suitable to least suitable, ' +
  '"reasons" explains why the first one best fits the user\'s query intent.';

export function buildPrompt(instruction: string, metadata: Array<Record<string, unknown> | null | undefined>, budget: number, format: AnswerFormat): string {
  const lines = [TASK, "", `User instruction: ${instruction}`, "", `There are ${metadata.length} candidates, numbered 1 to ${metadata.length}.`];
  const described = metadata.map((m, i) => ({ n: i + 1, text: summarizeMetadata(m, budget) })).filter((d) => d.text !== "");
  if (described.length > 0) {
    lines.push("What the catalogue says about them:");
    for (const d of described) lines.push(`${d.n}. ${d.text}`);
  }
  lines.push("", format === "json_schema" ? JSON_FORMAT : TEXT_FORMAT);
  return lines.join("\n");
}

/** Structured output the LLM is asked for when the endpoint supports json_schema. */
export const RANKING_SCHEMA = {
  name: "ranking",
  strict: true,
  schema: {
    type: "object",
    properties: {
      ranking: { type: "array", items: { type: "integer" } },
      reasons: { type: "string" },
    },
    required: ["ranking", "reasons"],
    additionalProperties: false,
  },
} as const;

// Fields that say what a product is come first, so a small budget keeps the useful part.
const PREFERRED_KEYS = ["title", "name", "category", "main_category", "categories", "brand", "store", "color", "colour", "description", "features"];

/** `key: value; …` of the metadata's scalar (and short list) values, cut to `budget` characters. */
export function summarizeMetadata(metadata: Record<string, unknown> | null | undefined, budget: number): string {
  if (!metadata || budget <= 0) return "";
  const keys = Object.keys(metadata).sort((a, b) => rankOf(a) - rankOf(b));
  const parts: string[] = [];
  for (const key of keys) {
    const value = flatten(metadata[key]);
    if (value !== "") parts.push(`${key}: ${value}`);
  }
  const text = parts.join("; ").replace(/\s+/g, " ").trim();
  return text.length <= budget ? text : `${text.slice(0, Math.max(0, budget - 1)).trimEnd()}…`;
}

function rankOf(key: string): number {
  const i = PREFERRED_KEYS.indexOf(key.toLowerCase());
  return i < 0 ? PREFERRED_KEYS.length : i;
}

function flatten(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(flatten).filter(Boolean).join(", ");
  return ""; // nested objects (image lists, review blobs) cost tokens and rarely help the ranking
}
