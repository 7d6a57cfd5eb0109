// The composition root: config → services → schema → HTTP + WebSocket servers. main.ts and the tests
// both build the server through createApp, the tests with their own config (port 0, temp data dir).
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import express, { type Request } from "express";
import { graphqlUploadExpress } from "graphql-upload-minimal";
import { useServer } from "graphql-ws/use/ws";
import { pinoHttp } from "pino-http";
import { WebSocketServer } from "ws";
import type { Config } from "./config.js";
import type { RequestContext } from "./context.js";
import { isExpectedError, maskError } from "./graphql/mask-errors.js";
import { healthRoutes } from "./http/health-routes.js";
import { imageRoutes } from "./http/image-routes.js";
import { panoramaRoutes } from "./http/panorama-routes.js";
import { playgroundRoutes } from "./http/playground-routes.js";
import { webRoutes } from "./http/web-routes.js";
import { createLogger, type Logger } from "./logger.js";
import { CatalogueResolver } from "./resolvers/catalogue.resolver.js";
import { ImageResolver } from "./resolvers/image.resolver.js";
import { IngestResolver } from "./resolvers/ingest.resolver.js";
import { SearchResolver } from "./resolvers/search.resolver.js";
import { StatsResolver } from "./resolvers/stats.resolver.js";
import { buildAppSchema, instanceContainer } from "./graphql/build-schema.js";
import { CatalogService } from "./services/catalog.service.js";
import { Catalogues } from "./services/catalogues.service.js";
import { ActiveCollections } from "./services/active-collections.js";
import { loadEmbeddingService, type EmbeddingService } from "./services/embedding/index.js";
import { ModelRegistry } from "./services/embedding/model-registry.js";
import { ImageStore } from "./services/image-store.service.js";
import { IngestService } from "./services/ingest/ingest.service.js";
import { PanoramaService } from "./services/panorama/index.js";
import { RerankService } from "./services/rerank/index.js";
import { SearchService } from "./services/search.service.js";
import { ReindexService } from "./services/reindex.service.js";
import { removeOrphanedFiles } from "./services/store-reconciler.js";
import { LocalBlobStore } from "./services/storage/local-blob-store.js";
import { VectorStore } from "./services/vector-store.service.js";

export const GRAPHQL_PATH = "/graphql";

export interface Services {
  /** The model MODEL names; a catalogue may be served by another (CatalogueServices.model). */
  embedder: EmbeddingService;
  models: ModelRegistry;
  reindex: ReindexService;
  vectors: VectorStore;
  images: ImageStore;
  catalog: CatalogService;
  catalogues: Catalogues;
  ingest: IngestService;
  search: SearchService;
  panorama: PanoramaService;
  reranker: RerankService;
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

export async function createApp(config: Config, options: { logger?: Logger } = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
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
  const images = new ImageStore(new LocalBlobStore(config.images.storeDir), { thumbnailSize: config.images.thumbnailSize });
  const panorama = new PanoramaService({ store: new LocalBlobStore(config.panorama.dir), ttlMs: config.panorama.ttlMs, logger });
  const reranker = new RerankService(config.rerank, { logger });
  let catalogues: Catalogues;
  try {
    catalogues = await Catalogues.open({
      store: vectors,
      models,
      active: await ActiveCollections.load(config.dataDir),
      build: (collection, model, filesInUse) => {
        const catalog = new CatalogService({ vectors: collection, images, embedder: model, limits, logger, filesInUse });
        return { catalog, search: new SearchService({ embedder: model, catalog, images, panorama, reranker, limits, logger }) };
      },
      logger,
    });
  } catch (err) {
    panorama.close();
    await vectors.close();
    await models.close();
    throw err;
  }
  const { catalog, search } = catalogues.default;
  const ingest = new IngestService(config.ingest, { catalog, logger });
  await ingest.init();
  // Before any new ingest can start, so no file of a job in flight is mistaken for an orphan.
  await removeOrphanedFiles(images, { get: (ids) => catalogues.heldIds(ids) }, logger);
  const reindex = new ReindexService({ catalogues, ingest, images, models, logger });
  const services: Services = { embedder, models, reindex, vectors, images, catalog, catalogues, ingest, search, panorama, reranker };

  const schema = await buildAppSchema(
    instanceContainer([
      new ImageResolver(catalogues, config.http.maxUploadBytes),
      new CatalogueResolver(catalogues, reindex),
      new IngestResolver(ingest, config.http.maxUploadBytes, catalogues),
      new SearchResolver(catalogues, config.http.maxUploadBytes),
      new StatsResolver(catalogues, vectors),
    ]),
  );

  const expressApp = express();
  expressApp.disable("x-powered-by");
  const httpServer = http.createServer(expressApp);
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const exposeStack = config.env === "development";
  const baseUrlOf = (req: Pick<Request, "protocol" | "headers">) => config.http.publicUrl ?? `${req.protocol}://${req.headers.host}`;

  const wsCleanup = useServer(
    {
      schema,
      context: (ctx): RequestContext => {
        const requestId = randomUUID();
        const req = ctx.extra.request;
        return {
          requestId,
          logger: logger.child({ reqId: requestId, transport: "ws" }),
          baseUrl: baseUrlOf({ protocol: "http", headers: req.headers }),
          ingest,
          catalogues,
        };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => maskError(e.toJSON(), e, exposeStack)) } : result,
    },
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    csrfPrevention: true,
    // serve.ts owns SIGINT/SIGTERM and stops everything in order; Apollo's own handlers would race it.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: exposeStack,
    formatError: (formatted, error) => maskError(formatted, error, exposeStack),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.http.shutdownTimeoutMs }),
      { async serverWillStart() { return { drainServer: async () => { await wsCleanup.dispose(); } }; } },
      {
        async requestDidStart() {
          return {
            async didEncounterErrors({ errors, contextValue }) {
              for (const error of errors) {
                if (!isExpectedError(error)) contextValue.logger.error({ err: error.originalError ?? error, path: error.path }, "Unexpected error in a GraphQL request");
              }
            },
          };
        },
      },
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  expressApp.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "debug"),
    }),
  );
  expressApp.use(healthRoutes({ vectors, model: embedder.info }));
  expressApp.use(imageRoutes(images));
  expressApp.use(panoramaRoutes(panorama));
  expressApp.use(webRoutes());
  // Before Apollo: a browser's GET on the GraphQL path gets the offline playground.
  expressApp.use(playgroundRoutes(GRAPHQL_PATH));
  expressApp.use(
    GRAPHQL_PATH,
    graphqlUploadExpress({ maxFileSize: config.http.maxUploadBytes, maxFiles: 1000 }),
    express.json({ limit: "2mb" }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<RequestContext> => ({ requestId: String(req.id), logger: req.log, baseUrl: baseUrlOf(req), ingest, catalogues }),
    }),
  );

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
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await ingest.close();
        panorama.close();
        await vectors.close();
        await models.close();
      })();
      return closing;
    },
    killNow() {
      vectors.killNow();
    },
  };
  return app;
}
