// Counts GraphQL operations sent over graphql-ws in the same series as HTTP's (transport "ws"), and keeps
// gauges of open connections and streaming subscriptions. It wraps the server's own hooks, so what it
// counts is what clients were sent: error codes after masking, a subscription timed until its stream ends.
import { getOperationAST, type GraphQLFormattedError } from "graphql";
import type { Context, ServerOptions } from "graphql-ws";
import type { Metrics } from "../services/metrics/metrics.js";

interface Operation {
  start: bigint;
  name: string;
  type: string;
  /** Executing: from here graphql-ws calls onComplete at the end; before, an error ends the operation. */
  executing: boolean;
  streaming: boolean;
  errors: number;
}

export function withWsMetrics<P extends Record<string, unknown> | undefined, E>(metrics: Metrics, options: ServerOptions<P, E>): ServerOptions<P, E> {
  const connected = new WeakSet<object>();
  const operations = new WeakMap<object, Map<string, Operation>>();
  const operationsOf = (ctx: Context<P, E>) => {
    let map = operations.get(ctx);
    if (!map) operations.set(ctx, (map = new Map()));
    return map;
  };
  const countErrors = (operation: Operation | undefined, errors: readonly GraphQLFormattedError[] | undefined) => {
    if (!operation || !errors) return;
    for (const error of errors) metrics.graphqlErrors.inc({ operation: operation.name, code: String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR"), transport: "ws" });
    operation.errors += errors.length;
  };
  const finish = (ctx: Context<P, E>, id: string) => {
    const map = operations.get(ctx);
    const operation = map?.get(id);
    if (!operation) return;
    map!.delete(id);
    if (operation.streaming) metrics.wsSubscriptions.dec();
    const seconds = Number(process.hrtime.bigint() - operation.start) / 1e9;
    metrics.graphqlOperations.observe({ operation: operation.name, type: operation.type, outcome: operation.errors > 0 ? "error" : "ok", transport: "ws" }, seconds);
  };

  return {
    ...options,
    async onConnect(ctx) {
      const accepted = options.onConnect ? await options.onConnect(ctx) : undefined;
      if (accepted !== false) {
        connected.add(ctx);
        metrics.wsConnections.inc();
      }
      return accepted;
    },
    async onSubscribe(ctx, id, payload) {
      const operation: Operation = { start: process.hrtime.bigint(), name: metrics.operationLabel(payload.operationName), type: "unknown", executing: false, streaming: false, errors: 0 };
      operationsOf(ctx).set(id, operation);
      let result;
      try {
        result = await options.onSubscribe?.(ctx, id, payload);
      } catch (err) {
        // graphql-ws closes the socket (4500) on a hook that throws: the operation failed.
        countErrors(operation, [{ message: "", extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
        finish(ctx, id);
        throw err;
      }
      if (result && "document" in result) {
        const ast = getOperationAST(result.document, result.operationName);
        if (ast) {
          if (!payload.operationName) operation.name = metrics.operationLabel(ast.name?.value);
          operation.type = ast.operation;
        }
      }
      return result;
    },
    async onOperation(ctx, id, payload, args, result) {
      const replaced = await options.onOperation?.(ctx, id, payload, args, result);
      const operation = operations.get(ctx)?.get(id);
      if (operation) {
        operation.executing = true;
        if (Symbol.asyncIterator in (replaced ?? result)) {
          operation.streaming = true;
          metrics.wsSubscriptions.inc();
        }
      }
      return replaced;
    },
    async onNext(ctx, id, payload, args, result) {
      const sent = await options.onNext?.(ctx, id, payload, args, result);
      countErrors(operations.get(ctx)?.get(id), (sent ?? result).errors as readonly GraphQLFormattedError[] | undefined);
      return sent;
    },
    async onError(ctx, id, payload, errors) {
      const sent = await options.onError?.(ctx, id, payload, errors);
      const operation = operations.get(ctx)?.get(id);
      countErrors(operation, sent ?? errors.map((e) => e.toJSON()));
      // Refused before it ran (parse, validation, key, cost): graphql-ws sends no onComplete for it.
      if (operation && !operation.executing) finish(ctx, id);
      return sent;
    },
    async onComplete(ctx, id, payload) {
      try {
        await options.onComplete?.(ctx, id, payload);
      } finally {
        finish(ctx, id);
      }
    },
    async onClose(ctx, code, reason) {
      try {
        await options.onClose?.(ctx, code, reason);
      } finally {
        // Whatever the socket's end cut short (an operation whose hook threw closes the socket too).
        for (const id of [...(operations.get(ctx)?.keys() ?? [])]) finish(ctx, id);
        if (connected.delete(ctx)) metrics.wsConnections.dec();
      }
    },
  };
}
