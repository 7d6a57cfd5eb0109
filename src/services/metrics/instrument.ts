// Wraps each outside system's adapter (model, Milvus, LLM) and the catalogue so that every call is
// counted and timed, without the services knowing about metrics.
import { AppError } from "../../errors.js";
import type { CatalogService } from "../catalog.service.js";
import { DynamicBatcher } from "../embedding/dynamic-batcher.js";
import type { EmbeddingService } from "../embedding/index.js";
import { TERMINAL } from "../ingest/ingest-job.js";
import type { IngestJobs } from "../jobs/ingest-jobs.js";
import type { RerankService } from "../rerank/index.js";
import type { ImageCollection } from "../milvus/image.collection.js";
import { timed, type Metrics, type Outcome } from "./metrics.js";

const outcomeOf = (error: unknown): Outcome => (error === undefined ? "ok" : "error");
const codeOf = (error: unknown): string => (error instanceof AppError ? error.code : "INTERNAL_SERVER_ERROR");

/** Replaces `names` on `target` with timed versions of themselves. */
function wrapMethods<T extends object, K extends keyof T>(target: T, names: readonly K[], observe: (name: K, seconds: number, error: unknown) => void): void {
  for (const name of names) {
    const original = target[name];
    if (typeof original !== "function") continue;
    const bound = (original as (...args: unknown[]) => Promise<unknown>).bind(target);
    (target as Record<K, unknown>)[name] = (...args: unknown[]) => timed((seconds, error) => observe(name, seconds, error), () => bound(...args));
  }
}

export function instrumentEmbedder(embedder: EmbeddingService, metrics: Metrics): void {
  const kinds = { embedImage: "image", embedText: "text", embedComposed: "composed" } as const;
  wrapMethods(embedder, ["embedImage", "embedText", "embedComposed"] as const, (name, seconds, error) =>
    metrics.embeddingRequests.observe({ kind: kinds[name], outcome: outcomeOf(error) }, seconds),
  );
  // Each model graph (CLIP's vision and text towers, Visualized-BGE's one graph) has its own batcher.
  for (const [graph, value] of Object.entries(embedder)) {
    const batcher = (value as { batcher?: unknown } | null)?.batcher;
    if (!(batcher instanceof DynamicBatcher)) continue;
    batcher.onRun = (size, seconds, error) => {
      metrics.embeddingBatchSize.observe({ graph }, size);
      metrics.embeddingBatchDuration.observe({ graph, outcome: outcomeOf(error) }, seconds);
    };
  }
}

const VECTOR_OPERATIONS = ["upsert", "get", "getVector", "list", "count", "search", "delete"] as const;

function instrumentCollection(collection: ImageCollection, metrics: Metrics): void {
  wrapMethods(collection, VECTOR_OPERATIONS.filter((name) => name in collection) as Array<keyof ImageCollection>, (operation, seconds, error) => {
    metrics.milvusRequests.observe({ operation, outcome: outcomeOf(error) }, seconds);
    if (error !== undefined) metrics.milvusErrors.inc({ operation, code: codeOf(error) });
  });
}

export function instrumentReranker(reranker: RerankService, metrics: Metrics): void {
  const rerank = reranker.rerank.bind(reranker);
  reranker.rerank = async (...args) => {
    const start = process.hrtime.bigint();
    const outcome = await rerank(...args);
    const label = outcome.reranked ? (outcome.cached ? "cached" : "ok") : reranker.disabledReason ? "off" : "error";
    metrics.rerankRequests.observe({ outcome: label }, Number(process.hrtime.bigint() - start) / 1e9);
    if (label === "error") metrics.rerankErrors.inc();
    return outcome;
  };
}

/** Ingest throughput: every image prepared (by ingest jobs and addImage alike) and every row stored. */
export function instrumentCatalog(catalog: CatalogService, metrics: Metrics): void {
  const prepare = catalog.prepare.bind(catalog);
  catalog.prepare = async (...args) => {
    try {
      const prepared = await prepare(...args);
      if (prepared.existing) metrics.imagesPrepared.inc({ outcome: "existing" });
      return prepared;
    } catch (err) {
      metrics.imagesPrepared.inc({ outcome: "failed" });
      throw err;
    }
  };
  const add = catalog.add.bind(catalog);
  catalog.add = async (...args) => {
    const added = await add(...args);
    if (added.created) metrics.imagesPrepared.inc({ outcome: "stored" });
    return added;
  };
  const commit = catalog.commit.bind(catalog);
  catalog.commit = async (rows) => {
    await commit(rows);
    metrics.imagesPrepared.inc({ outcome: "stored" }, rows.length);
  };
}

/** Queue depth and jobs by status, read from the job records when Prometheus scrapes. */
export function watchIngest(ingest: IngestJobs, metrics: Metrics): void {
  metrics.watchQueue(async () => {
    const jobs: Record<string, number> = {};
    let depth = 0;
    for (const job of await ingest.list(500)) {
      jobs[job.status] = (jobs[job.status] ?? 0) + 1;
      if (!TERMINAL.has(job.status)) depth += job.total - job.processed;
    }
    return { depth, jobs };
  });
}

/** One catalogue's Milvus collection and its catalogue service (every catalogue is built through this). */
export function instrumentCatalogue(collection: ImageCollection, catalog: CatalogService, metrics: Metrics): void {
  instrumentCollection(collection, metrics);
  instrumentCatalog(catalog, metrics);
}

/** The shared services, for the composition root. */
export function instrumentServices(services: { embedder: EmbeddingService; reranker: RerankService; ingest: IngestJobs }, metrics: Metrics): void {
  instrumentEmbedder(services.embedder, metrics);
  instrumentReranker(services.reranker, metrics);
  watchIngest(services.ingest, metrics);
}
