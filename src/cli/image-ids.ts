// Image ids in the terminal: printed short (the first 12 hex digits, like git), and accepted as any unique
// prefix, so an id copied from a table or the web demo works as it is.
import type { MmragClient } from "@mmrag/sdk";
import { UsageError } from "./report-error.js";

export const SHORT_ID_LENGTH = 12;
const FULL_ID = /^[0-9a-f]{64}$/;
const PREFIX = /^[0-9a-f]{4,63}$/;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** No catalogue image has an id starting with the prefix given. */
export class UnknownImageError extends Error {
  constructor(prefix: string) {
    super(`NOT_FOUND: no catalogue image has an id starting with ${prefix}`);
    this.name = "UnknownImageError";
  }
}

/** The full id for a full id or a unique prefix of at least 4 hex digits, in the catalogue given (default "default"). */
export async function resolveImageId(client: MmragClient, given: string, catalogue?: string): Promise<string> {
  const wanted = given.trim().toLowerCase();
  if (FULL_ID.test(wanted)) return wanted;
  if (!PREFIX.test(wanted)) throw new UsageError(`"${given}" is not an image id: give its first 4 or more hex digits, or all 64`);
  const matches: string[] = [];
  let after: string | undefined;
  // The catalogue has no prefix lookup, so the ids are read a page at a time (ids only matter here).
  do {
    const page = await client.images({ first: 1000, after, catalogue });
    for (const image of page.nodes) if (image.id.startsWith(wanted)) matches.push(image.id);
    after = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? undefined) : undefined;
  } while (after && matches.length < 2);
  if (matches.length === 0) throw new UnknownImageError(wanted);
  if (matches.length > 1) throw new UsageError(`${wanted} is the start of more than one image id (${matches.map(shortId).join(", ")}, ...): give more of it`);
  return matches[0];
}
