// The composition root: config → services (createServices) → schema → HTTP + WebSocket (http/server.ts).
// main.ts and the tests both build the server through createApp, the tests with their own config.
import "reflect-metadata";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.js";
import { createHttpServer, GRAPHQL_PATH } from "./http/server.js";
import { createLogger, type Logger } from "./logger.js";
import { CatalogueResolver } from "./resolvers/catalogue.resolver.js";
import { ImageResolver } from "./resolvers/image.resolver.js";
import { IngestResolver } from "./resolvers/ingest.resolver.js";
import { SearchResolver } from "./resolvers/search.resolver.js";
import { StatsResolver } from "./resolvers/stats.resolver.js";
import { buildAppSchema, instanceContainer } from "./graphql/build-schema.js";
import { Access } from "./services/auth/index.js";
import { CatalogService } from "./services/catalog.service.js";
import { Catalogues } from "./services/catalogues.service.js";
import { FileActiveCollections, type ActiveCollections } from "./services/active-collections.js";
import { RedisActiveCollections } from "./services/jobs/redis-active-collections.js";
import { loadEmbeddingService, type EmbeddingService } from "./services/embedding/index.js";
import { withQueryCache } from "./services/embedding/query-cache.js";
import { ModelRegistry } from "./services/embedding/model-registry.js";
import { ImageStore } from "./services/image-store.service.js";
import { IngestService } from "./services/ingest/ingest.service.js";
import { DistributedIngest } from "./services/jobs/distributed-ingest.service.js";
import type { IngestJobs } from "./services/jobs/ingest-jobs.js";
import { IngestWorker } from "./services/jobs/ingest-worker.js";
import { instrumentCatalogue, instrumentServices } from "./services/metrics/instrument.js";
import { Metrics } from "./services/metrics/metrics.js";
import { PanoramaService } from "./services/panorama/index.js";
import { RerankService } from "./services/rerank/index.js";
import { SearchService } from "./services/search.service.js";
import { ReindexService } from "./services/reindex.service.js";
import { removeOrphanedFiles } from "./services/store-reconciler.js";
import { openBlobStore } from "./services/storage/open-blob-store.js";
import { VectorStore } from "./services/vector-store.service.js";

export { GRAPHQL_PATH };

export interface Services {
  /** The model MODEL names; a catalogue may be served by another (CatalogueServices.model). */
  embedder: EmbeddingService;
  models: ModelRegistry;
  reindex: ReindexService;
  vectors: VectorStore;
  images: ImageStore;
  catalog: CatalogService;
  catalogues: Catalogues;
  ingest: IngestJobs;
  /** Takes ingest chunks from Redis: in `worker` and `all` processes when REDIS_URL is set. */
  worker?: IngestWorker;
  search: SearchService;
  panorama: PanoramaService;
  reranker: RerankService;
  metrics: Metrics;
}

export interface App {
  config: Config;
  logger: Logger;
  services: Services;
  httpServer: http.Server;
  /** Starts listening; resolves with the base URL (http://host:port). */
  listen(): Promise<string>;
  url: string | undefined;
  /** Drains HTTP and WebSocket connections, then stops Milvus Lite and the model runtime. */
  close(): Promise<void>;
  /** Synchronous last resort on process exit: kills the Milvus Lite child. */
  killNow(): void;
}

/** Builds every service in dependency order; Milvus Lite and the model runtime are running when it resolves. */
export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const limits = { maxPixels: config.images.maxPixels };
  const embedder = await loadEmbeddingService(config.model, { logger });
  const models = new ModelRegistry(embedder, config.model, logger);
  let vectors: VectorStore;
  try {
    vectors = await VectorStore.open(config.milvus, { logger });
  } catch (err) {
    await embedder.close();
    throw err;
  }
  // One storage for originals, thumbnails and staged uploads: the local folder, or a bucket every process shares.
  const blobs = openBlobStore(config.images);
  const images = new ImageStore(blobs, { thumbnailSize: config.images.thumbnailSize });
  const panoramas = openBlobStore(config.images, { dir: config.panorama.dir, area: "panoramas" });
  const panorama = new PanoramaService({ store: panoramas, ttlMs: config.panorama.ttlMs, logger });
  const reranker = new RerankService(config.rerank, { logger });
  // Searches embed through one query cache per model (a vector depends on the model, not on the catalogue); ingest does not.
  const queryCaches = new Map<EmbeddingService, EmbeddingService>();
  const queryEmbedderFor = (model: EmbeddingService) => {
    if (!queryCaches.has(model)) queryCaches.set(model, withQueryCache(model, config.model.queryCacheSize));
    return queryCaches.get(model)!;
  };
  const metrics = new Metrics();
  let catalogues: Catalogues;
  let active: ActiveCollections | undefined;
  try {
    // With REDIS_URL every process reads and announces catalogue switches through Redis; alone, a file in DATA_DIR.
    active = config.redis ? await RedisActiveCollections.open(config.redis.url, config.dataDir, logger) : await FileActiveCollections.load(config.dataDir);
    catalogues = await Catalogues.open({
      store: vectors,
      models,
      active,
      images,
      build: (collection, model, filesInUse, written) => {
        const catalog = new CatalogService({ vectors: collection, images, embedder: model, limits, logger, filesInUse, written });
        instrumentCatalogue(collection, catalog, metrics);
        return { catalog, search: new SearchService({ embedder: queryEmbedderFor(model), catalog, images, panorama, reranker, limits, logger }) };
      },
      logger,
    });
  } catch (err) {
    await active?.close();
    panorama.close();
    await vectors.close();
    await models.close();
    throw err;
  }
  const { catalog, search } = catalogues.default;
  const staging = blobs;
  const ingest: IngestJobs = config.redis ? new DistributedIngest(config.ingest, config.redis, { staging, logger }) : new IngestService(config.ingest, { catalog, logger });
  await ingest.init();
  const reindex = new ReindexService({ catalogues, ingest: ingest instanceof DistributedIngest ? { queued: ingest } : { local: ingest as IngestService }, images, models, logger });
  const catalogOf = async (name: string, collection?: string) => {
    if (!collection) return (await catalogues.get(name)).catalog;
    const building = await catalogues.building(name);
    if (building?.services.collection.name !== collection) throw new Error(`The collection "${collection}" of a reindex of "${name}" is gone`);
    return building.services.catalog;
  };
  const worker = config.redis && config.role !== "api" ? new IngestWorker(config.ingest, config.redis, { catalogOf, staging, logger, reindex }) : undefined;
  await worker?.start();
  // Before any new ingest can start, so no file of a job in flight is mistaken for an orphan. With
  // several processes sharing the storage, another one may be mid-ingest: no sweep then.
  if (!config.redis) await removeOrphanedFiles(images, { get: (ids) => catalogues.heldIds(ids) }, logger);
  instrumentServices({ embedder, reranker, ingest }, metrics);
  return { embedder, models, reindex, vectors, images, catalog, catalogues, ingest, worker, search, panorama, reranker, metrics };
}

async function closeServices(services: Services): Promise<void> {
  await services.worker?.close();
  await services.ingest.close();
  await services.catalogues.close();
  services.panorama.close();
  await services.vectors.close();
  await services.models.close();
}

export async function createApp(config: Config, options: { logger?: Logger } = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  // Before anything starts: a broken key file should stop the server, not the first request.
  // With Redis, rate budgets and job owners are shared by every replica (a worker serves no GraphQL: no need).
  const access = await Access.open(config.auth, { redisUrl: config.role === "worker" ? undefined : config.redis?.url, logger, dataDir: config.dataDir });
  if (access.keys && access.keys.size === 0) {
    logger.warn(`API_KEYS_FILE (${config.auth.apiKeysFile}) holds no keys yet: every request is refused until \`mmrag keys add\``);
  }
  let services: Services;
  try {
    services = await createServices(config, logger);
  } catch (err) {
    access.close();
    throw err;
  }
  const { catalogues, ingest, vectors, reranker } = services;
  let server;
  try {
    const schema = await buildAppSchema(
      instanceContainer([
        new ImageResolver(catalogues, config.http.maxUploadBytes),
        new CatalogueResolver(catalogues, services.reindex),
        new IngestResolver(ingest, config.http.maxUploadBytes, catalogues),
        new SearchResolver(catalogues, config.http.maxUploadBytes),
        new StatsResolver(catalogues, vectors, reranker),
      ]),
    );
    server = await createHttpServer({ config, logger, schema, access, services });
  } catch (err) {
    await closeServices(services);
    access.close();
    throw err;
  }
  const { httpServer } = server;

  let url: string | undefined;
  let closing: Promise<void> | undefined;

  const app: App = {
    config,
    logger,
    services,
    httpServer,
    get url() {
      return url;
    },
    async listen() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.http.port, config.http.host, () => {
          httpServer.off("error", reject);
          resolve();
        });
      });
      const { port } = httpServer.address() as AddressInfo;
      const host = config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host;
      url = `http://${host === "0.0.0.0" || host === "[::]" ? "localhost" : host}:${port}`;
      return url;
    },
    close() {
      closing ??= (async () => {
        // Apollo's drain plugin stops the HTTP server and waits for requests in flight; then the WebSockets close.
        await server.stop();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await closeServices(services);
        access.close();
      })();
      return closing;
    },
    killNow() {
      vectors.killNow();
    },
  };
  return app;
}
