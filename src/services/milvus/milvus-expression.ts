// Turns a catalogue filter into a Milvus boolean expression. Every value goes through JSON.stringify
// and every key through a whitelist, so user input can never change the expression's shape.
import { BadUserInputError } from "../../errors.js";
import type { CatalogFilter } from "../catalog-filter.js";

const KEY = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TITLE_TEXT = 256;

/** The expression for a filter, or undefined when it keeps every image. */
export function toMilvusExpression(filter: CatalogFilter | undefined): string | undefined {
  if (!filter) return undefined;
  const clauses: string[] = [];
  if (filter.format) clauses.push(`format == ${JSON.stringify(filter.format.toLowerCase() === "jpg" ? "jpeg" : filter.format.toLowerCase())}`);
  if (filter.createdAfter) clauses.push(`created_at > ${millis(filter.createdAfter, "createdAfter")}`);
  if (filter.createdBefore) clauses.push(`created_at < ${millis(filter.createdBefore, "createdBefore")}`);
  if (filter.titleContains !== undefined && filter.titleContains.length > MAX_TITLE_TEXT) {
    throw new BadUserInputError(`titleContains is ${filter.titleContains.length} characters; the limit is ${MAX_TITLE_TEXT}`, { field: "filter.titleContains" });
  }
  if (filter.titleContains) clauses.push(`metadata["title"] like ${JSON.stringify(`%${escapeLike(filter.titleContains)}%`)}`);
  for (const [key, value] of Object.entries(filter.metadata ?? {})) {
    const field = metadataPath(key);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new BadUserInputError(`Metadata filter ${JSON.stringify(key)} has an empty list`);
      clauses.push(`${field} in [${value.map((v) => literal(key, v)).join(", ")}]`);
    } else {
      clauses.push(`${field} == ${literal(key, value)}`);
    }
  }
  return clauses.join(" and ") || undefined;
}

/** Joins expressions with "and", each in parentheses; undefined when there are none. */
export function allOf(...expressions: Array<string | undefined>): string | undefined {
  const present = expressions.filter((e): e is string => Boolean(e));
  return present.length > 0 ? present.map((e) => `(${e})`).join(" and ") : undefined;
}

/** LIKE treats % and _ as wildcards; a user's text matches as written. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function metadataPath(key: string): string {
  const parts = key.split(".");
  if (parts.length > 4 || !parts.every((p) => KEY.test(p))) {
    throw new BadUserInputError(
      `Metadata filter key ${JSON.stringify(key)} is not allowed: use letters, digits, "_" and "-", with "." between nested keys`,
      { field: "filter.metadata" },
    );
  }
  return `metadata${parts.map((p) => `[${JSON.stringify(p)}]`).join("")}`;
}

function literal(key: string, value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  throw new BadUserInputError(`Metadata filter ${JSON.stringify(key)} must be a string, a finite number, a boolean, or a list of them`, {
    field: "filter.metadata",
  });
}

function millis(date: Date, field: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new BadUserInputError(`${field} is not a valid date`, { field });
  return ms;
}
