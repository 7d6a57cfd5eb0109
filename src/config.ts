// The one reader of process.env: every setting, its default, and its validation.
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import type { QueryLimits } from "./graphql/cost-limits.js";
import type { AccessConfig } from "./services/auth/index.js";

export type Env = Record<string, string | undefined>;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v === "true" || v === "1"));
const list = z
  .string()
  .default("")
  .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean));
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== "" ? v.trim() : undefined));

const envSchema = z.object({
  // Production unless told otherwise (`npm run dev` says development): no stacks, no playground.
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: int(0, 65535).default(4000),
  PUBLIC_URL: optionalString.pipe(z.string().url().optional()),
  DATA_DIR: z.string().min(1).default("./data"),
  MAX_UPLOAD_BYTES: int(1).default(20 * 1024 * 1024),
  MAX_IMAGE_PIXELS: int(1).default(100_000_000),
  THUMBNAIL_SIZE: int(16, 2048).default(256),
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  GRAPHQL_PLAYGROUND: bool,
  GRAPHQL_MAX_TOKENS: int(100).default(5000),
  GRAPHQL_MAX_DEPTH: int(2).default(12),
  GRAPHQL_MAX_ALIASES: int(0).default(30),
  GRAPHQL_MAX_COST: int(1).default(50_000),

  API_KEYS_FILE: optionalString,
  ALLOW_ANONYMOUS: bool,
  CORS_ORIGINS: list,
  ALLOWED_HOSTS: list,
  RATE_LIMIT_PER_MINUTE: int(0).default(600),
  SIGNED_URL_TTL_SECONDS: int(60).default(3600),
  URL_SIGNING_SECRET: optionalString,

  MILVUS_URI: optionalString,
  MILVUS_TOKEN: optionalString,
  MILVUS_COLLECTION: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,254}$/, "letters, digits and underscores, not starting with a digit")
    .default("mmrag_images"),
  MILVUS_INDEX: z.enum(["AUTO", "FLAT", "IVF_FLAT", "HNSW", "AUTOINDEX"]).default("AUTO"),
  MILVUS_IVF_NLIST: int(1, 65536).default(128),
  MILVUS_IVF_NPROBE: int(1, 65536).default(16),
  MILVUS_HNSW_EF: int(1, 32_768).default(64),
  MILVUS_HNSW_M: int(2, 2048).default(16),
  MILVUS_HNSW_EF_CONSTRUCTION: int(1).default(200),
  MILVUS_STARTUP_TIMEOUT_MS: int(1000).default(60_000),
  MILVUS_REQUEST_TIMEOUT_MS: int(100).default(15_000),
  KEYWORD_FIELDS: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, "metadata keys separated by commas")
    .default("title,description,tags"),

  MODEL: z.string().min(1).default("auto"),
  MODELS_DIR: z.string().min(1).default("./models"),
  HF_ENDPOINT: z.string().url().default("https://huggingface.co"),
  EMBED_MAX_BATCH: int(1, 256).default(8),
  EMBED_MAX_WAIT_MS: int(0, 1000).default(4),
  EMBED_MAX_BATCH_TOKENS: int(1, 1_000_000).default(512),
  EMBED_QUERY_CACHE_SIZE: int(0, 100_000).default(256),
  ORT_INTRA_OP_THREADS: int(0, 256).default(0),
  ORT_INTER_OP_THREADS: int(0, 256).default(0),
  ORT_GRAPH_OPTIMIZATION: z.enum(["disabled", "basic", "extended", "all"]).default("all"),

  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalString.pipe(z.string().url().optional()),
  RERANK_MODEL: z.string().min(1).default("gpt-4o"),
  RERANK_TIMEOUT_MS: int(100).default(30_000),
  RERANK_MAX_RETRIES: int(0, 10).default(2),
  RERANK_MAX_TOKENS: int(16, 16_384).default(600),
  RERANK_RESPONSE_FORMAT: z.enum(["auto", "json_schema", "text"]).default("auto"),
  RERANK_CACHE_SIZE: int(0).default(500),
  RERANK_METADATA_CHARS: int(0, 10_000).default(300),
  PANORAMA_TTL_MS: int(1000).default(60 * 60 * 1000),

  INGEST_ROOTS: z.string().default(""),
  INGEST_CONCURRENCY: int(1, 256).default(16),
  INGEST_INSERT_BATCH: int(1, 10_000).default(64),
  INGEST_MAX_FILES: int(1).default(1000),
  INGEST_URL_ALLOWLIST: z.string().default(""),
  INGEST_URL_TIMEOUT_MS: int(100).default(15_000),
  INGEST_URL_MAX_BYTES: int(1).optional(),

  MMRAG_ROLE: z.enum(["all", "api", "worker"]).default("all"),
  REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL").optional()),
  INGEST_CHUNK_SIZE: int(1, 1000).default(16),
  INGEST_CHUNK_LOCK_MS: int(1000).default(30_000),
  INGEST_CHUNK_ATTEMPTS: int(1, 100).default(5),

  IMAGE_STORE: optionalString,
  S3_ENDPOINT: optionalString.pipe(z.string().url().optional()),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_FORCE_PATH_STYLE: z.enum(["true", "false", "1", "0", ""]).default("false"),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  AWS_SESSION_TOKEN: optionalString,
  IMAGE_URLS: z.enum(["proxy", "presigned"]).default("proxy"),
  S3_PRESIGN_SECONDS: int(1, 7 * 24 * 3600).default(3600),

  METRICS_TOKEN: optionalString.pipe(z.string().min(16, "at least 16 characters").optional()),
});

export type MilvusIndexType = "FLAT" | "IVF_FLAT" | "HNSW" | "AUTOINDEX";

export interface Config {
  env: "development" | "production" | "test";
  logLevel: string;
  dataDir: string;
  http: {
    host: string;
    port: number;
    /** Origin used in image URLs; when unset, taken from each request's Host header. */
    publicUrl?: string;
    maxUploadBytes: number;
    shutdownTimeoutMs: number;
    /** GraphiQL at /graphql and introspection, on both transports: one setting (GRAPHQL_PLAYGROUND). */
    playground: boolean;
    /** Host names served besides localhost, IP literals and PUBLIC_URL's host. */
    allowedHosts: string[];
    /** Browser origins allowed besides the server's own: CORS on HTTP and the WebSocket upgrade. */
    corsOrigins: string[];
  };
  graphql: QueryLimits;
  auth: AccessConfig;
  images: {
    storeDir: string;
    maxPixels: number;
    thumbnailSize: number;
    /** IMAGE_STORE=s3://bucket/prefix: originals and thumbnails in that bucket instead of `storeDir`. */
    s3?: {
      bucket: string;
      /** "" or ending in "/". */
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
      presignSeconds: number;
    };
    /** proxy: image URLs point at this server, which streams the bytes; presigned: time-limited URLs into the bucket. */
    urls: "proxy" | "presigned";
  };
  milvus: {
    /** "lite": we start and supervise Milvus Lite on `liteDbPath`; "remote": a Milvus server or Zilliz Cloud at `address`. */
    mode: "lite" | "remote";
    address?: string;
    liteDbPath?: string;
    token?: string;
    collection: string;
    index: { type: MilvusIndexType; nlist: number; nprobe: number; hnswM: number; hnswEfConstruction: number; hnswEf: number };
    startupTimeoutMs: number;
    requestTimeoutMs: number;
    /** Metadata keys whose text keyword (BM25) search reads. */
    keywordFields: string[];
  };
  model: {
    /** A model folder name under `modelsDir`, or "auto" (see models/README.md). */
    name: string;
    modelsDir: string;
    hfEndpoint: string;
    maxBatch: number;
    maxWaitMs: number;
    /** Padded tokens per model run (rows × longest row); a row longer than this runs alone. */
    maxBatchTokens: number;
    /** Query embeddings the search service remembers (LRU); 0 = off. */
    queryCacheSize: number;
    intraOpThreads: number;
    interOpThreads: number;
    graphOptimization: "disabled" | "basic" | "extended" | "all";
  };
  rerank: {
    /** Unset: rerank is skipped and results come back in vector order with rerankError saying why. */
    apiKey?: string;
    /** Any OpenAI-compatible endpoint (Azure OpenAI, vLLM, Ollama, ...); unset means OpenAI. */
    baseUrl?: string;
    model: string;
    timeoutMs: number;
    maxRetries: number;
    maxTokens: number;
    /** json_schema asks for structured output; text parses "Ranked list: [...] Reasons: ..."; auto tries json_schema, then text. */
    responseFormat: "auto" | "json_schema" | "text";
    cacheSize: number;
    /** Budget of metadata characters per candidate in the prompt. */
    metadataChars: number;
  };
  panorama: { dir: string; ttlMs: number };
  ingest: {
    /** Folders ingestFolder may read, resolved to real paths; empty means ingestFolder is off. */
    roots: string[];
    /** Images in flight at once; the embedder batches them. */
    concurrency: number;
    insertBatch: number;
    /** Most files (or URLs) in one ingest request. */
    maxFiles: number;
    /** ingestUrls: hosts it may fetch from ("*" any public host, "*.example.com", "10.0.0.5"); empty means off. */
    urlAllowlist: string[];
    urlTimeoutMs: number;
    urlMaxBytes: number;
    jobsDir: string;
    spoolDir: string;
  };
  /**
   * all: one process does everything (the default). api: GraphQL, HTTP routes and subscriptions, no ingest work.
   * worker: ingest work only. api and worker need REDIS_URL, a Milvus server and shared image storage.
   */
  role: "all" | "api" | "worker";
  /** Set: ingest jobs are chunks on a BullMQ queue in Redis, with job records and progress there too. */
  redis?: { url: string; chunkSize: number; lockMs: number; attempts: number };
  /** GET /metrics answers only to `Authorization: Bearer <token>`; unset, the route is off. */
  metrics: { token?: string };
}

/** Lite indexes FLAT, IVF_FLAT and AUTOINDEX only; a server gets AUTOINDEX unless told otherwise. */
function chooseIndex(requested: string, mode: "lite" | "remote"): MilvusIndexType {
  if (requested === "AUTO") return mode === "lite" ? "FLAT" : "AUTOINDEX";
  if (mode === "lite" && requested === "HNSW") {
    throw new ConfigError("MILVUS_INDEX=HNSW is not supported by Milvus Lite; use FLAT, IVF_FLAT or AUTOINDEX, or point MILVUS_URI at a Milvus server");
  }
  return requested as MilvusIndexType;
}

function s3Settings(e: z.infer<typeof envSchema>): Config["images"]["s3"] {
  if (!e.IMAGE_STORE) {
    if (e.IMAGE_URLS === "presigned") throw new ConfigError("IMAGE_URLS=presigned needs IMAGE_STORE=s3://bucket/prefix: a local image folder has no URLs of its own");
    return undefined;
  }
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(e.IMAGE_STORE);
  if (!match) throw new ConfigError(`IMAGE_STORE must look like s3://bucket or s3://bucket/prefix, got ${JSON.stringify(e.IMAGE_STORE)}`);
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (e.AWS_ACCESS_KEY_ID && !e.AWS_SECRET_ACCESS_KEY) throw new ConfigError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  return {
    bucket: match[1],
    prefix: prefix ? `${prefix}/` : "",
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    forcePathStyle: e.S3_FORCE_PATH_STYLE === "true" || e.S3_FORCE_PATH_STYLE === "1",
    credentials: e.AWS_ACCESS_KEY_ID ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY!, sessionToken: e.AWS_SESSION_TOKEN } : undefined,
    presignSeconds: e.S3_PRESIGN_SECONDS,
  };
}

export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}\nSee .env.example for every setting.`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const uri = e.MILVUS_URI ?? path.join(dataDir, "milvus.db");
  const remote = /^https?:\/\//i.test(uri);
  if (!remote && /^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new ConfigError(`MILVUS_URI must be a local file path (Milvus Lite) or an http(s):// address, got ${JSON.stringify(uri)}`);
  }
  const mode = remote ? "remote" : "lite";
  if (e.MMRAG_ROLE !== "all" && !e.REDIS_URL) throw new ConfigError(`MMRAG_ROLE=${e.MMRAG_ROLE} needs REDIS_URL: api and worker processes share ingest jobs through Redis`);
  if (e.MMRAG_ROLE !== "all" && mode === "lite") {
    throw new ConfigError(`MMRAG_ROLE=${e.MMRAG_ROLE} needs MILVUS_URI=http://host:19530 (a Milvus server): an embedded Milvus Lite file serves one process only`);
  }
  const publicUrl = e.PUBLIC_URL?.replace(/\/+$/, "");
  if (!isLoopbackHost(e.HOST) && !e.API_KEYS_FILE && !e.ALLOW_ANONYMOUS) {
    throw new ConfigError(
      `HOST=${e.HOST} lets other machines reach this server, and without API_KEYS_FILE anyone could change or delete the catalogue.\n` +
        "Create a key (mmrag keys add <name> --role admin --file keys.json) and set API_KEYS_FILE, or set ALLOW_ANONYMOUS=true to serve without keys.",
    );
  }
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      // A playground on your own machine is what a first run wants; one reachable from others shows nothing unasked.
      playground: e.GRAPHQL_PLAYGROUND ?? (e.NODE_ENV !== "production" || isLoopbackHost(e.HOST)),
      allowedHosts: [...e.ALLOWED_HOSTS.map((h) => h.toLowerCase()), ...(publicUrl ? [new URL(publicUrl).hostname.replace(/^\[|\]$/g, "").toLowerCase()] : [])],
      corsOrigins: e.CORS_ORIGINS.map((o) => o.replace(/\/+$/, "")),
    },
    graphql: { maxTokens: e.GRAPHQL_MAX_TOKENS, maxDepth: e.GRAPHQL_MAX_DEPTH, maxAliases: e.GRAPHQL_MAX_ALIASES, maxCost: e.GRAPHQL_MAX_COST },
    auth: {
      apiKeysFile: e.API_KEYS_FILE ? path.resolve(e.API_KEYS_FILE) : undefined,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
      urlSigningSecret: e.URL_SIGNING_SECRET,
    },
    images: { storeDir: path.join(dataDir, "images"), maxPixels: e.MAX_IMAGE_PIXELS, thumbnailSize: e.THUMBNAIL_SIZE, s3: s3Settings(e), urls: e.IMAGE_URLS },
    milvus: {
      mode,
      address: remote ? uri : undefined,
      liteDbPath: remote ? undefined : path.resolve(uri),
      token: e.MILVUS_TOKEN,
      collection: e.MILVUS_COLLECTION,
      index: {
        type: chooseIndex(e.MILVUS_INDEX, mode),
        nlist: e.MILVUS_IVF_NLIST,
        nprobe: e.MILVUS_IVF_NPROBE,
        hnswM: e.MILVUS_HNSW_M,
        hnswEfConstruction: e.MILVUS_HNSW_EF_CONSTRUCTION,
        hnswEf: e.MILVUS_HNSW_EF,
      },
      startupTimeoutMs: e.MILVUS_STARTUP_TIMEOUT_MS,
      requestTimeoutMs: e.MILVUS_REQUEST_TIMEOUT_MS,
      keywordFields: e.KEYWORD_FIELDS.split(","),
    },
    model: {
      name: e.MODEL,
      modelsDir: path.resolve(e.MODELS_DIR),
      hfEndpoint: e.HF_ENDPOINT.replace(/\/+$/, ""),
      maxBatch: e.EMBED_MAX_BATCH,
      maxWaitMs: e.EMBED_MAX_WAIT_MS,
      maxBatchTokens: e.EMBED_MAX_BATCH_TOKENS,
      queryCacheSize: e.EMBED_QUERY_CACHE_SIZE,
      intraOpThreads: e.ORT_INTRA_OP_THREADS,
      interOpThreads: e.ORT_INTER_OP_THREADS,
      graphOptimization: e.ORT_GRAPH_OPTIMIZATION,
    },
    rerank: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL?.replace(/\/+$/, ""),
      model: e.RERANK_MODEL,
      timeoutMs: e.RERANK_TIMEOUT_MS,
      maxRetries: e.RERANK_MAX_RETRIES,
      maxTokens: e.RERANK_MAX_TOKENS,
      responseFormat: e.RERANK_RESPONSE_FORMAT,
      cacheSize: e.RERANK_CACHE_SIZE,
      metadataChars: e.RERANK_METADATA_CHARS,
    },
    panorama: { dir: path.join(dataDir, "panoramas"), ttlMs: e.PANORAMA_TTL_MS },
    ingest: {
      roots: e.INGEST_ROOTS.split(/[,:]/)
        .map((r) => r.trim())
        .filter(Boolean)
        .map((r) => path.resolve(r)),
      concurrency: e.INGEST_CONCURRENCY,
      insertBatch: e.INGEST_INSERT_BATCH,
      maxFiles: e.INGEST_MAX_FILES,
      urlAllowlist: e.INGEST_URL_ALLOWLIST.split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      urlTimeoutMs: e.INGEST_URL_TIMEOUT_MS,
      urlMaxBytes: e.INGEST_URL_MAX_BYTES ?? e.MAX_UPLOAD_BYTES,
      jobsDir: path.join(dataDir, "jobs"),
      spoolDir: path.join(dataDir, "uploads"),
    },
    role: e.MMRAG_ROLE,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, chunkSize: e.INGEST_CHUNK_SIZE, lockMs: e.INGEST_CHUNK_LOCK_MS, attempts: e.INGEST_CHUNK_ATTEMPTS } : undefined,
    metrics: { token: e.METRICS_TOKEN },
  };
}

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  return name === "localhost" || name === "::1" || /^127\.\d+\.\d+\.\d+$/.test(name);
}
