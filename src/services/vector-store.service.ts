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
  private constructor(
    private readonly connection: MilvusConnection,
    /** The catalogue's images. */
    readonly images: ImageCollection,
  ) {}

  static async open(config: Config["milvus"], options: VectorStoreOptions): Promise<VectorStore> {
    const connection = await MilvusConnection.open(config, options.logger);
    const spec: ImageCollectionSpec = { name: config.collection, dimension: options.dimension, modelName: options.modelName, index: config.index };
    try {
      const layout = await ensureImageCollection(connection, spec, options.logger);
      connection.onRestart(async (callOptions) => void (await ensureImageCollection(connection, spec, options.logger, callOptions)));
      return new VectorStore(connection, new ImageCollection(connection, spec, layout));
    } catch (err) {
      await connection.close();
      throw err;
    }
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
