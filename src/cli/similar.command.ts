// `mmrag similar <imageId>`: the catalogue images that look most like one of its images.
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { hitsTable } from "./format.js";
import { resolveImageId } from "./image-ids.js";

export interface SimilarOptions {
  limit: number;
  catalogue?: string;
  server?: string;
  json?: boolean;
}

export async function similarCommand(imageId: string, options: SimilarOptions, env: Env): Promise<number> {
  const hits = await withConnection(options.server, env, async ({ client }) => client.similarTo({ imageId: await resolveImageId(client, imageId, options.catalogue), limit: options.limit, catalogue: options.catalogue }));
  if (options.json) console.log(JSON.stringify(hits, null, 2));
  else console.log(hits.length === 0 ? "No other catalogue image to compare with." : hitsTable(hits));
  return 0;
}
