// A data dir whose collection was made by an earlier release, to check that newer servers still serve it.
import { DataType } from "@zilliz/milvus2-sdk-node";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { MilvusConnection } from "../../src/services/milvus/milvus.connection.js";
import { startTestServer, tempDir, testEnv } from "./server.js";

/**
 * A fresh data dir whose default collection has the older schema: no keyword (BM25) fields, and with
 * `contentHash` the content_hash column releases before the vector-store split wrote.
 */
export async function dataDirWithOldCollection(options: { contentHash: boolean }): Promise<string> {
  const dataDir = await tempDir();
  const config = loadConfig(await testEnv(dataDir));
  const first = await startTestServer({ dataDir });
  const dimension = first.app.services.embedder.info.dimension;
  await first.close();
  const connection = await MilvusConnection.open(config.milvus, createLogger(config));
  try {
    const name = config.milvus.collection;
    await connection.call("dropCollection", (c) => c.dropCollection({ collection_name: name }));
    await connection.call("createCollection", (c) =>
      c.createCollection({
        collection_name: name,
        fields: [
          { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
          { name: "vector", data_type: DataType.FloatVector, dim: dimension },
          ...(options.contentHash ? [{ name: "content_hash", data_type: DataType.VarChar, max_length: 64 }] : []),
          { name: "storage_key", data_type: DataType.VarChar, max_length: 512 },
          { name: "width", data_type: DataType.Int32 },
          { name: "height", data_type: DataType.Int32 },
          { name: "format", data_type: DataType.VarChar, max_length: 16 },
          { name: "bytes", data_type: DataType.Int64 },
          { name: "metadata", data_type: DataType.JSON },
          { name: "created_at", data_type: DataType.Int64 },
        ],
      }),
    );
  } finally {
    await connection.close();
  }
  return dataDir;
}
