// `mmrag catalogues`: the catalogues a server (or the local data dir) holds, for choosing one with --catalogue.
import type { Env } from "../config.js";
import { withConnection } from "./connect.js";
import { table } from "./format.js";

export interface CataloguesOptions {
  server?: string;
  json?: boolean;
}

export async function cataloguesCommand(options: CataloguesOptions, env: Env): Promise<number> {
  const catalogues = await withConnection(options.server, env, ({ client }) => client.catalogues());
  if (options.json) {
    console.log(JSON.stringify(catalogues, null, 2));
    return 0;
  }
  console.log(
    table(catalogues, [
      { header: "name", value: (c) => c.name },
      { header: "images", value: (c) => String(c.images), align: "right" },
      { header: "model", value: (c) => c.model ?? "?" },
      { header: "collection", value: (c) => c.collection },
    ]),
  );
  const warnings = catalogues.filter((c) => c.warning).map((c) => `Warning (${c.name}): ${c.warning}`);
  if (warnings.length > 0) console.log(`\n${warnings.join("\n")}`);
  return 0;
}
