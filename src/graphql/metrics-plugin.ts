// Times every GraphQL operation served over HTTP, labelled by operation name, type and outcome.
// Operation names come from clients, so only well-formed names are kept and their number is capped.
import type { ApolloServerPlugin } from "@apollo/server";
import type { Metrics } from "../services/metrics/metrics.js";

const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function metricsPlugin(metrics: Metrics): ApolloServerPlugin {
  const seen = new Set<string>();
  const label = (name: string | null | undefined): string => {
    if (!name) return "(anonymous)";
    if (!OPERATION_NAME.test(name)) return "(invalid)";
    if (!seen.has(name) && seen.size >= MAX_OPERATION_NAMES) return "(other)";
    seen.add(name);
    return name;
  };
  return {
    async requestDidStart() {
      const start = process.hrtime.bigint();
      return {
        async willSendResponse({ request, operation, response, errors }) {
          const operationName = label(operation?.name?.value ?? request.operationName);
          const type = operation?.operation ?? "unknown";
          const reported = errors ?? (response.body.kind === "single" ? response.body.singleResult.errors : undefined) ?? [];
          for (const error of reported) metrics.graphqlErrors.inc({ operation: operationName, code: String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR") });
          const outcome = reported.length > 0 ? "error" : "ok";
          metrics.graphqlOperations.observe({ operation: operationName, type, outcome }, Number(process.hrtime.bigint() - start) / 1e9);
        },
      };
    },
  };
}
