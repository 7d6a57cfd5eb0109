// The vector-store port: opens Milvus (embedded Lite or a server) and its image collections.
// Connection, collection shape and data access live in ./milvus/.
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { ensureImageCollection, modelOf, type ImageCollectionSpec } from "./milvus/image-collection.schema.js";
import { ImageCollection } from "./milvus/image.collection.js";
import type { MilvusLiteProcess } from "./milvus/milvus-lite.process.js";
import { MilvusConnection } from "./milvus/milvus.connection.js";

export interface VectorStoreOptions {
  logger: Logger;
}

/** What an existing collection was made for, read from Milvus. */
export interface CollectionShape {
  dimension: number;
  /** The model named in its description ("" when it does not say). */
  model: string;
}

export class VectorStore {
  /** Collections opened so far, with the removal of their restart hook. */
  private readonly opened = new Map<string, { collection: ImageCollection; forget: () => void }>();

  private constructor(
    private readonly connection: MilvusConnection,
    private readonly config: Config["milvus"],
    private readonly logger: Logger,
  ) {}

  static async open(config: Config["milvus"], options: VectorStoreOptions): Promise<VectorStore> {
    return new VectorStore(await MilvusConnection.open(config, options.logger), config, options.logger);
  }

  /** MILVUS_COLLECTION: the default catalogue's first collection, and the prefix of every other one. */
  get baseName(): string {
    return this.config.collection;
  }

  /** Names of every collection in this Milvus database. */
  async collectionNames(): Promise<string[]> {
    const listed = await this.connection.call("listCollections", (c) => c.listCollections());
    return listed.data.map((c) => c.name);
  }

  /** The vector dimension and model of an existing collection; undefined when there is none of that name. */
  async describe(name: string): Promise<CollectionShape | undefined> {
    if (!(await this.collectionNames()).includes(name)) return undefined;
    const described = await this.connection.call("describeCollection", (c) => c.describeCollection({ collection_name: name }));
    const vector = described.schema.fields.find((f) => f.name === "vector");
    return { dimension: Number(vector?.type_params.find((p) => p.key === "dim")?.value ?? 0), model: modelOf(described.schema.description ?? "") };
  }

  /** An image collection for vectors of this model, created if missing, checked and loaded. */
  async openCollection(name: string, model: { dimension: number; modelName: string }): Promise<ImageCollection> {
    const known = this.opened.get(name);
    if (known) return known.collection;
    const { index, keywordFields } = this.config;
    const spec: ImageCollectionSpec = { name, dimension: model.dimension, modelName: model.modelName, index, keywordFields };
    const layout = await ensureImageCollection(this.connection, spec, this.logger);
    const forget = this.connection.onRestart(async (callOptions) => void (await ensureImageCollection(this.connection, spec, this.logger, callOptions)));
    const collection = new ImageCollection(this.connection, spec, layout);
    this.opened.set(name, { collection, forget });
    return collection;
  }

  /** Drops a collection, vectors and all. */
  async dropCollection(name: string): Promise<void> {
    this.opened.get(name)?.forget();
    this.opened.delete(name);
    await this.connection.call("dropCollection", (c) => c.dropCollection({ collection_name: name }));
  }

  get backend(): "milvus-lite" | "milvus" {
    return this.connection.backend;
  }

  /** Where the data lives, for logs and stats: the Lite file or the server address. */
  get location(): string {
    return this.connection.location;
  }

  /** The supervised Lite process (undefined for a remote Milvus); tests use it to simulate a crash. */
  get liteProcess(): MilvusLiteProcess | undefined {
    return this.connection.liteProcess;
  }

  /** For /readyz: answers within the request timeout, never throws. */
  ping(): Promise<{ ok: boolean; detail?: string }> {
    return this.connection.ping();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /** Synchronous last resort for process exit paths. */
  killNow(): void {
    this.connection.killNow();
  }
}
