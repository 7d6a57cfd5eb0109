// The one request context, built the same way for an HTTP request and a graphql-ws connection.
import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "./logger.js";
import { publicUrls, type PublicUrls } from "./http/public-urls.js";
import type { Access, Caller } from "./services/auth/index.js";
import type { IngestJobs } from "./services/jobs/ingest-jobs.js";
import type { Catalogues } from "./services/catalogues.service.js";

/** What every resolver gets: who is asking and where to build absolute URLs from. */
export interface RequestContext {
  requestId: string;
  logger: Logger;
  /** Origin for URLs in responses, e.g. http://localhost:4000. */
  baseUrl: string;
  /** Image, thumbnail and panorama URLs, signed when the server needs keys. */
  urls: PublicUrls;
  caller: Caller;
  access: Access;
  /** Subscriptions are resolved outside resolver instances (type-graphql's `subscribe`), so they reach services here. */
  ingest: Pick<IngestJobs, "watch">;
  catalogues: Pick<Catalogues, "get">;
}

export interface RequestFacts {
  requestId: string;
  logger: Logger;
  transport: "http" | "ws";
  /** The Host header, already checked against the allowed hosts (http/host-check.ts). */
  headers: IncomingHttpHeaders;
  /** "Bearer <key>": the HTTP header, or graphql-ws's connectionParams.authorization. */
  authorization: string | undefined;
  remoteAddress: string | undefined;
}

export interface ContextDeps {
  publicUrl?: string;
  access: Access;
  ingest: Pick<IngestJobs, "watch">;
  catalogues: Pick<Catalogues, "get">;
}

export function requestContext(facts: RequestFacts, deps: ContextDeps): RequestContext {
  const baseUrl = deps.publicUrl ?? `http://${facts.headers.host ?? "localhost"}`;
  const caller = deps.access.identify(facts.authorization, facts.remoteAddress);
  return {
    requestId: facts.requestId,
    logger: facts.logger.child({ reqId: facts.requestId, transport: facts.transport, ...(caller.keyName ? { key: caller.keyName } : {}) }),
    baseUrl,
    urls: publicUrls(baseUrl, deps.access.signer),
    caller,
    access: deps.access,
    ingest: deps.ingest,
    catalogues: deps.catalogues,
  };
}
