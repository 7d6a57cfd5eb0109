// The HTTP half of the app: express with Apollo on /graphql, graphql-ws on the same path, the file routes
// and the web pages. Both GraphQL transports share one request context, one guard (keys, roles, cost,
// rate) and one error mask.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { pinoHttp } from "pino-http";
import { WebSocketServer } from "ws";
import type { Config } from "../config.js";
import { requestContext, type RequestContext } from "../context.js";
import { AppError } from "../errors.js";
import { limitRules, parseOptions } from "../graphql/cost-limits.js";
import { logUnexpectedErrors, maskError } from "../graphql/mask-errors.js";
import { guardOperation } from "../graphql/operation-guard.js";
import type { Logger } from "../logger.js";
import type { Access } from "../services/auth/index.js";
import type { EmbeddingService } from "../services/embedding/index.js";
import type { Catalogues } from "../services/catalogues.service.js";
import type { ImageStore } from "../services/image-store.service.js";
import type { IngestJobs } from "../services/jobs/ingest-jobs.js";
import type { Metrics } from "../services/metrics/metrics.js";
import type { PanoramaService } from "../services/panorama/index.js";
import type { VectorStore } from "../services/vector-store.service.js";
import { errorResponses } from "./error-responses.js";
import { metricsPlugin } from "../graphql/metrics-plugin.js";
import { withWsMetrics } from "../graphql/ws-metrics.js";
import { healthRoutes } from "./health-routes.js";
import { imageRoutes } from "./image-routes.js";
import { metricsRoutes } from "./metrics-routes.js";
import { originRoutes } from "./origin-routes.js";
import { panoramaRoutes } from "./panorama-routes.js";
import { previewRoutes } from "./preview-routes.js";
import { playgroundRoutes } from "./playground-routes.js";
import { isAllowedHost, isAllowedOrigin } from "./request-origin.js";
import { requireSignature } from "./signed-routes.js";
import { uploadMiddleware } from "./upload-middleware.js";
import { webRoutes } from "./web-routes.js";

export const GRAPHQL_PATH = "/graphql";

function requestError(err: unknown, code: string): GraphQLError {
  const original = err instanceof Error ? err : new Error(String(err));
  return new GraphQLError(original.message, { originalError: original, nodes: err instanceof GraphQLError ? err.nodes : undefined, extensions: { code } });
}

export interface HttpDeps {
  config: Config;
  logger: Logger;
  schema: GraphQLSchema;
  access: Access;
  services: {
    vectors: VectorStore;
    embedder: Pick<EmbeddingService, "info">;
    images: ImageStore;
    panorama: PanoramaService;
    ingest: Pick<IngestJobs, "watch">;
    metrics: Metrics;
    catalogues: Pick<Catalogues, "get">;
  };
}

export interface HttpServer {
  httpServer: http.Server;
  /** Stops Apollo, which drains HTTP requests in flight, then closes the WebSockets. */
  stop(): Promise<void>;
}

export async function createHttpServer({ config, logger, schema, access, services }: HttpDeps): Promise<HttpServer> {
  const exposeStack = config.env === "development";
  const originPolicy = { allowedHosts: config.http.allowedHosts, corsOrigins: config.http.corsOrigins };
  const contextDeps = { publicUrl: config.http.publicUrl, access, ingest: services.ingest, catalogues: services.catalogues };
  // Apollo adds its own introspection rule from `introspection`; graphql-ws gets the same one here.
  const validationRules = limitRules(config.graphql);
  const wsValidationRules = [...specifiedRules, ...validationRules, ...(config.http.playground ? [] : [NoSchemaIntrospectionCustomRule])];

  const expressApp = express();
  expressApp.disable("x-powered-by");
  const httpServer = http.createServer(expressApp);

  // graphql-ws: the Host and Origin are checked at the upgrade (browsers send any site's Origin here, and
  // Apollo's CSRF prevention covers HTTP only); the key in onConnect; each operation like HTTP's.
  // A worker (MMRAG_ROLE=worker) takes no client requests: health checks and scrapes only.
  const wsServer = new WebSocketServer(config.role === "worker" ? { noServer: true } : {
    server: httpServer,
    path: GRAPHQL_PATH,
    verifyClient: ({ origin, req }, done) => {
      if (!isAllowedHost(req.headers.host, originPolicy)) return done(false, 421, "Misdirected host");
      if (origin && !isAllowedOrigin(origin, req.headers, originPolicy)) return done(false, 403, "Origin not allowed (CORS_ORIGINS)");
      done(true);
    },
  },
  );
  type WsExtra = { request: http.IncomingMessage; socket: { close(code: number, reason: string): void } };
  const wsContext = (extra: WsExtra, params: Record<string, unknown> | undefined): RequestContext =>
    requestContext(
      {
        requestId: randomUUID(),
        logger,
        transport: "ws",
        headers: extra.request.headers,
        authorization: typeof params?.authorization === "string" ? params.authorization : undefined,
        remoteAddress: extra.request.socket.remoteAddress,
      },
      contextDeps,
    );
  const wsCleanup = useServer(
    withWsMetrics(services.metrics, {
      schema,
      onConnect: (ctx) => {
        const { caller } = wsContext(ctx.extra as WsExtra, ctx.connectionParams);
        if (access.enabled && !caller.role) {
          // 4401 (not graphql-ws's bare 4403) so a client can tell "ask for a key" from "not allowed".
          (ctx.extra as WsExtra).socket.close(4401, caller.problem === "unknown" ? "UNAUTHENTICATED: the API key is not valid" : "UNAUTHENTICATED: send connectionParams.authorization");
          return false;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query, parseOptions(config.graphql));
        } catch (err) {
          // The same codes Apollo gives these on HTTP.
          return [requestError(err, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
        }
        const errors = validate(schema, document, wsValidationRules);
        if (errors.length > 0) return errors.map((e) => (e instanceof AppError ? e : requestError(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED)));
        const contextValue = wsContext(ctx.extra as WsExtra, ctx.connectionParams);
        const args: ExecutionArgs = { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
        try {
          await guardOperation({ schema, document, operationName: payload.operationName, variables: payload.variables ?? undefined }, contextValue, config.graphql);
        } catch (err) {
          if (err instanceof AppError) return [err];
          throw err;
        }
        return args;
      },
      onError: (ctx, _id, _payload, errors) => {
        logUnexpectedErrors(errors, logger);
        return errors.map((e) => maskError(e.toJSON(), e, exposeStack));
      },
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return result;
        logUnexpectedErrors(result.errors, (args.contextValue as RequestContext).logger);
        return { ...result, errors: result.errors.map((e) => maskError(e.toJSON(), e, exposeStack)) };
      },
    }),
    wsServer,
  );

  const apollo = new ApolloServer<RequestContext>({
    schema,
    csrfPrevention: true,
    introspection: config.http.playground,
    parseOptions: parseOptions(config.graphql),
    validationRules,
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
            async didResolveOperation({ document, operationName, request, contextValue }) {
              await guardOperation({ schema, document, operationName, variables: request.variables }, contextValue, config.graphql);
            },
            async didEncounterErrors({ errors, contextValue }) {
              logUnexpectedErrors(errors, contextValue.logger);
            },
          };
        },
      },
      metricsPlugin(services.metrics),
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
  expressApp.use(originRoutes(originPolicy));
  expressApp.use(healthRoutes({ vectors: services.vectors, model: services.embedder.info, access }));
  expressApp.use(metricsRoutes(services.metrics, config.metrics.token));
  if (config.role === "worker") expressApp.use((_req, res) => void res.status(404).json({ error: { code: "NOT_FOUND", message: "This is an ingest worker (MMRAG_ROLE=worker): send requests to an API replica" } }));
  expressApp.use(["/images", "/thumbnails", "/previews", "/panoramas"], requireSignature(access));
  const fileCaching = access.enabled ? `private, max-age=${config.auth.signedUrlTtlSeconds}` : undefined;
  expressApp.use(imageRoutes(services.images, fileCaching, { presigned: config.images.urls === "presigned" }));
  expressApp.use(previewRoutes(services.images, { maxPixels: config.images.maxPixels }, fileCaching));
  expressApp.use(panoramaRoutes(services.panorama));
  expressApp.use(webRoutes());
  // Before Apollo: a browser's GET on the GraphQL path gets the offline playground, where it is on.
  if (config.http.playground) expressApp.use(playgroundRoutes(GRAPHQL_PATH));
  expressApp.use(
    GRAPHQL_PATH,
    uploadMiddleware({ maxFiles: config.ingest.maxFiles }),
    express.json({ limit: "2mb" }),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<RequestContext> =>
        requestContext(
          {
            requestId: String(req.id),
            logger,
            transport: "http",
            headers: req.headers,
            authorization: req.headers.authorization,
            remoteAddress: req.socket.remoteAddress,
          },
          contextDeps,
        ),
    }),
  );
  expressApp.use(errorResponses(logger));

  return { httpServer, stop: () => apollo.stop() };
}
