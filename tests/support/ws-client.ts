// A real graphql-ws client for tests, collecting every event of a subscription until it completes.
import { createClient, type Client } from "graphql-ws";
import { WebSocket } from "ws";

export function wsClient(baseUrl: string): Client {
  return createClient({ url: `${baseUrl.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
}

export interface Collected<T> {
  events: T[];
  errors: unknown[];
}

/** Resolves once the server completes the stream (or it errors), with everything it sent. */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown>): Promise<Collected<T>> {
  const events: T[] = [];
  return new Promise((resolve) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) resolve({ events, errors: [...value.errors] });
          else events.push(value.data as T);
        },
        error: (err) => resolve({ events, errors: Array.isArray(err) ? err : [err] }),
        complete: () => resolve({ events, errors: [] }),
      },
    );
  });
}
