import type { Logger } from "./logger.js";
import type { IngestService } from "./services/ingest/ingest.service.js";
import type { Catalogues } from "./services/catalogues.service.js";

/** What every resolver gets: who is asking and where to build absolute URLs from. */
export interface RequestContext {
  requestId: string;
  logger: Logger;
  /** Origin for URLs in responses, e.g. http://localhost:4000. */
  baseUrl: string;
  /** Subscriptions are resolved outside resolver instances (type-graphql's `subscribe`), so they reach services here. */
  ingest: Pick<IngestService, "watch">;
  catalogues: Pick<Catalogues, "get">;
}
