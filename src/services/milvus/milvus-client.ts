// Every MilvusClient mmrag makes comes from here.
import { MilvusClient, type ClientConfig } from "@zilliz/milvus2-sdk-node";

/**
 * The SDK starts a Connect handshake in its constructor and leaves that promise unobserved unless a later call
 * happens to await it: a client made before Milvus listens (the start-up probe) or just before it goes away (a
 * restart during shutdown) would crash the process with an unhandled rejection. Calls still fail on their own.
 */
export function openMilvusClient(config: ClientConfig): MilvusClient {
  const client = new MilvusClient(config);
  client.connectPromise.catch(() => undefined);
  return client;
}
