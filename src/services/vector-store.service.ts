// The vector-store port: opens Milvus (embedded Lite or a server) and the image collection of the
// configured model. Connection, collection shape and data access live in ./milvus/.
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { ensureImageCollection, type ImageCollectionSpec } from "./milvus/image-collection.schema.js";
import { ImageCollection } from "./milvus/image.collection.js";
import type { MilvusLiteProcess } from "./milvus/milvus-lite.process.js";
import { MilvusConnection } from "./milvus/milvus.connection.js";

export interface VectorStoreOptions {
  dimension: number;
  modelName: string;
  logger: Logger;
}

export class VectorStore {
  /** Collections opened besides the configured one, with the removal of their restart hook. */
  private readonly opened = new Map<string, { collection: ImageCollection; forget: () => void }>();

  private constructor(
    private readonly connection: MilvusConnection,
    /** The configured collection: the default catalogue's images. */
    readonly images: ImageCollection,
    private readonly options: VectorStoreOptions & Pick<Config["milvus"], "index" | "keywordFields">,
  ) {}

  static async open(config: Config["milvus"], options: VectorStoreOptions): Promise<VectorStore> {
    const connection = await MilvusConnection.open(config, options.logger);
    const spec: ImageCollectionSpec = {
      name: config.collection,
      dimension: options.dimension,
      modelName: options.modelName,
      index: config.index,
      keywordFields: config.keywordFields,
    };
    try {
      const layout = await ensureImageCollection(connection, spec, options.logger);
      connection.onRestart(async (callOptions) => void (await ensureImageCollection(connection, spec, options.logger, callOptions)));
      return new VectorStore(connection, new ImageCollection(connection, spec, layout), { ...options, index: config.index, keywordFields: config.keywordFields });
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  /** Names of every collection in this Milvus database. */
  async collectionNames(): Promise<string[]> {
    const listed = await this.connection.call("listCollections", (c) => c.listCollections());
    return listed.data.map((c) => c.name);
  }

  /** Another image collection for the same model (a catalogue's), created if missing, and loaded. */
  async openCollection(name: string): Promise<ImageCollection> {
    const known = this.opened.get(name);
    if (known) return known.collection;
    const { dimension, modelName, index, keywordFields, logger } = this.options;
    const spec: ImageCollectionSpec = { name, dimension, modelName, index, keywordFields };
    const layout = await ensureImageCollection(this.connection, spec, logger);
    const forget = this.connection.onRestart(async (callOptions) => void (await ensureImageCollection(this.connection, spec, logger, callOptions)));
    const collection = new ImageCollection(this.connection, spec, layout);
    this.opened.set(name, { collection, forget });
    return collection;
  }

  /** Drops a collection opened with openCollection, vectors and all. */
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

  get collection(): string {
    return this.images.name;
  }

  get dimension(): number {
    return this.images.dimension;
  }

  get indexType(): string {
    return this.images.indexType;
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
