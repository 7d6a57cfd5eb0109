// What mmrag counts and times, in one prom-client registry per app (so two apps in one process, as in
// the tests, never share counters). The instruments are fed by the wrappers in instrument.ts, the
// Apollo plugin and the graphql-ws hooks; /metrics renders the registry in the Prometheus text format.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** Seconds, from a cache hit (~1 ms) to a slow LLM rerank (~30 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export type Outcome = "ok" | "error";
/** How a GraphQL operation reached the server: a POST (or GET) on /graphql, or a graphql-ws socket. */
export type Transport = "http" | "ws";

const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export class Metrics {
  readonly registry = new Registry();

  readonly graphqlOperations = new Histogram({
    name: "mmrag_graphql_operation_duration_seconds",
    help: "GraphQL operations by operation name, type, outcome and transport (http, ws); a subscription's time is its stream's lifetime",
    labelNames: ["operation", "type", "outcome", "transport"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: "mmrag_graphql_errors_total",
    help: "Errors in GraphQL responses by operation name, error code and transport (http, ws)",
    labelNames: ["operation", "code", "transport"] as const,
    registers: [this.registry],
  });
  readonly wsConnections = new Gauge({
    name: "mmrag_graphql_ws_connections",
    help: "Open graphql-ws connections (accepted: past connection_init and the API key check)",
    registers: [this.registry],
  });
  readonly wsSubscriptions = new Gauge({
    name: "mmrag_graphql_ws_subscriptions",
    help: "Subscriptions streaming over graphql-ws now",
    registers: [this.registry],
  });

  readonly embeddingBatchSize = new Histogram({
    name: "mmrag_embedding_batch_size",
    help: "Inputs per model run, per graph (dynamic batching)",
    labelNames: ["graph"] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly embeddingBatchDuration = new Histogram({
    name: "mmrag_embedding_batch_duration_seconds",
    help: "Time of one model run, per graph and outcome",
    labelNames: ["graph", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly embeddingRequests = new Histogram({
    name: "mmrag_embedding_request_duration_seconds",
    help: "Time to embed one input, queueing included, by kind (image, text, composed) and outcome",
    labelNames: ["kind", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly milvusRequests = new Histogram({
    name: "mmrag_milvus_request_duration_seconds",
    help: "Vector store requests by operation and outcome",
    labelNames: ["operation", "outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly milvusErrors = new Counter({
    name: "mmrag_milvus_errors_total",
    help: "Failed vector store requests by operation and error code",
    labelNames: ["operation", "code"] as const,
    registers: [this.registry],
  });

  readonly rerankRequests = new Histogram({
    name: "mmrag_rerank_duration_seconds",
    help: "LLM reranks by outcome: ok, cached, error, off (no endpoint configured)",
    labelNames: ["outcome"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly rerankErrors = new Counter({
    name: "mmrag_rerank_errors_total",
    help: "Reranks that fell back to the vector order because the LLM call failed",
    registers: [this.registry],
  });

  readonly imagesPrepared = new Counter({
    name: "mmrag_ingest_images_total",
    help: "Images through ingest and addImage by outcome: stored, existing (already in the catalogue), failed",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "mmrag_ingest_queue_depth",
    help: "Images accepted by ingest jobs and not processed yet",
    registers: [this.registry],
    collect: () => this.sampleQueue(),
  });
  readonly jobs = new Gauge({
    name: "mmrag_ingest_jobs",
    help: "Ingest jobs known to this process, by status",
    labelNames: ["status"] as const,
    registers: [this.registry],
    collect: () => this.sampleQueue(),
  });

  /** Operation names seen so far: they come from clients, so their number is capped. */
  private readonly operationNames = new Set<string>();

  /** Set by the app: reads the job records when Prometheus scrapes. */
  private queueSource?: () => Promise<{ depth: number; jobs: Record<string, number> }> | { depth: number; jobs: Record<string, number> };

  constructor() {
    // process_resident_memory_bytes, heap, event loop lag, GC: prom-client's standard process metrics.
    collectDefaultMetrics({ register: this.registry });
  }

  watchQueue(source: NonNullable<Metrics["queueSource"]>): void {
    this.queueSource = source;
  }

  /** The `operation` label for a client's operation name: well-formed names only, at most 200 of them. */
  operationLabel(name: string | null | undefined): string {
    if (!name) return "(anonymous)";
    if (!OPERATION_NAME.test(name)) return "(invalid)";
    if (!this.operationNames.has(name) && this.operationNames.size >= MAX_OPERATION_NAMES) return "(other)";
    this.operationNames.add(name);
    return name;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  private async sampleQueue(): Promise<void> {
    if (!this.queueSource) return;
    const { depth, jobs } = await this.queueSource();
    this.queueDepth.set(depth);
    this.jobs.reset();
    for (const [status, count] of Object.entries(jobs)) this.jobs.set({ status }, count);
  }
}

/** Times a call and reports its outcome; the result or error passes through untouched. */
export async function timed<T>(observe: (seconds: number, error: unknown) => void, run: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
  try {
    const result = await run();
    observe(seconds(), undefined);
    return result;
  } catch (err) {
    observe(seconds(), err);
    throw err;
  }
}
