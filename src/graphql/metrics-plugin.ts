// Times every GraphQL operation served over HTTP, labelled by operation name, type and outcome
// (graphql-ws operations go through ws-metrics.ts into the same series, with transport "ws").
import type { ApolloServerPlugin } from "@apollo/server";
import type { Metrics } from "../services/metrics/metrics.js";

export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async willSendResponse({ request, operation, response, errors }) {
          const operationName = metrics.operationLabel(operation?.name?.value ?? request.operationName);
          const type = operation?.operation ?? "unknown";
          const reported = errors ?? (response.body.kind === "single" ? response.body.singleResult.errors : undefined) ?? [];
          for (const error of reported) metrics.graphqlErrors.inc({ operation: operationName, code: String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR"), transport: "http" });
          const outcome = reported.length > 0 ? "error" : "ok";
          metrics.graphqlOperations.observe({ operation: operationName, type, outcome, transport: "http" }, Number(process.hrtime.bigint() - start) / 1e9);
        },
      };
    },
  };
}
