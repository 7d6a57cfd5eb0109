// The image collection's shape in Milvus: its fields and vector index. Creates a missing collection,
// checks an existing one matches the model in use, and loads it.
import { DataType, type FieldType } from "@zilliz/milvus2-sdk-node";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import type { CallOptions, MilvusConnection } from "./milvus.connection.js";

export interface ImageCollectionSpec {
  name: string;
  dimension: number;
  modelName: string;
  index: Config["milvus"]["index"];
}

/** What an existing collection has beyond today's fields, so writes can keep it whole. */
export interface CollectionLayout {
  /** Collections made before 2026-11 carry a content_hash column equal to the id; upserts must still fill it. */
  legacyContentHash: boolean;
}

const LEGACY_FIELDS = ["content_hash"];

function expectedFields(dimension: number): FieldType[] {
  return [
    { name: "id", data_type: DataType.VarChar, is_primary_key: true, max_length: 64, description: "sha256 of the original bytes" },
    { name: "vector", data_type: DataType.FloatVector, dim: dimension },
    { name: "storage_key", data_type: DataType.VarChar, max_length: 512 },
    { name: "width", data_type: DataType.Int32 },
    { name: "height", data_type: DataType.Int32 },
    { name: "format", data_type: DataType.VarChar, max_length: 16 },
    { name: "bytes", data_type: DataType.Int64 },
    { name: "metadata", data_type: DataType.JSON },
    { name: "created_at", data_type: DataType.Int64, description: "milliseconds since the epoch" },
  ];
}

/** Creates the collection and its index, or checks an existing one matches; then loads it. */
export async function ensureImageCollection(
  connection: MilvusConnection,
  spec: ImageCollectionSpec,
  logger: Logger,
  options: CallOptions = {},
): Promise<CollectionLayout> {
  // hasCollection answers true for any name on Milvus Lite, so list instead.
  const listed = await connection.call("listCollections", (c) => c.listCollections(), options);
  let layout: CollectionLayout = { legacyContentHash: false };
  if (!listed.data.some((c) => c.name === spec.name)) {
    await connection.call(
      "createCollection",
      (c) => c.createCollection({ collection_name: spec.name, fields: expectedFields(spec.dimension), description: `mmrag images; model ${spec.modelName}` }),
      options,
    );
    logger.info({ collection: spec.name, dimension: spec.dimension }, "Created Milvus collection");
  } else {
    layout = await checkSchema(connection, spec, options);
  }
  await ensureIndex(connection, spec, logger, options);
  await connection.call("loadCollection", (c) => c.loadCollection({ collection_name: spec.name }), options);
  return layout;
}

async function checkSchema(connection: MilvusConnection, spec: ImageCollectionSpec, options: CallOptions): Promise<CollectionLayout> {
  const { name, dimension, modelName } = spec;
  const described = await connection.call("describeCollection", (c) => c.describeCollection({ collection_name: name }), options);
  const actual = new Map(described.schema.fields.map((f) => [f.name, f]));
  const expected = expectedFields(dimension);
  const problems: string[] = [];
  for (const field of expected) {
    const found = actual.get(field.name);
    const expectedType = DataType[field.data_type as DataType];
    if (!found) {
      problems.push(`field "${field.name}" (${expectedType}) is missing`);
      continue;
    }
    if (found.data_type !== expectedType) problems.push(`field "${field.name}" is ${found.data_type} there, ${expectedType} here`);
    if (field.dim !== undefined) {
      const dim = Number(found.type_params.find((p) => p.key === "dim")?.value);
      if (dim !== dimension) problems.push(`vector dimension is ${dim} there, but the model "${modelName}" produces ${dimension}`);
    }
    if (field.is_primary_key && !found.is_primary_key) problems.push(`field "${field.name}" is not the primary key there`);
  }
  for (const extra of actual.keys()) {
    if (!expected.some((f) => f.name === extra) && !LEGACY_FIELDS.includes(extra)) problems.push(`field "${extra}" is there but not expected`);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `The Milvus collection "${name}" at ${connection.location} does not match this server:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\n${described.schema.description ? `It was created for: ${described.schema.description}.\n` : ""}` +
        `To fix: set MILVUS_COLLECTION to a new name (e.g. ${name}_${dimension}), ` +
        `or start with the model the collection was built with, or drop the collection to rebuild it.`,
    );
  }
  return { legacyContentHash: actual.has("content_hash") };
}

async function ensureIndex(connection: MilvusConnection, spec: ImageCollectionSpec, logger: Logger, options: CallOptions): Promise<void> {
  const existing = await connection
    .call("describeIndex", (c) => c.describeIndex({ collection_name: spec.name, field_name: "vector" }), options)
    .catch(() => undefined);
  const current = existing?.index_descriptions?.[0]?.params.find((p) => p.key === "index_type")?.value;
  if (current) {
    if (current !== spec.index.type) logger.warn({ existing: current, configured: spec.index.type }, "The collection keeps its existing vector index type");
    return;
  }
  const { type, nlist, hnswM, hnswEfConstruction } = spec.index;
  const params: Record<string, number> = type === "IVF_FLAT" ? { nlist } : type === "HNSW" ? { M: hnswM, efConstruction: hnswEfConstruction } : {};
  await connection.call(
    "createIndex",
    (c) => c.createIndex({ collection_name: spec.name, field_name: "vector", index_type: type, metric_type: "COSINE", params }),
    options,
  );
}
