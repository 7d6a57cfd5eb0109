// The image collection's shape in Milvus: its fields and vector index. Creates a missing collection,
// checks an existing one matches the model in use, and loads it.
import { DataType, FunctionType, type FieldType } from "@zilliz/milvus2-sdk-node";
import type { Config } from "../../config.js";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { MilvusRequestError, type CallOptions, type MilvusConnection } from "./milvus.connection.js";

export interface ImageCollectionSpec {
  name: string;
  dimension: number;
  modelName: string;
  index: Config["milvus"]["index"];
  /** Metadata keys whose text goes into the keywords field. */
  keywordFields: string[];
}

/** What an existing collection has beyond the core fields, so writes can keep it whole. */
export interface CollectionLayout {
  /** Collections made before 2026-11 carry a content_hash column equal to the id; upserts must still fill it. */
  legacyContentHash: boolean;
  /** A keywords text field with a BM25 function into a sparse field: keyword and hybrid search work. */
  keywords: boolean;
  /** The model the collection was made for, from its description (empty when it does not say). */
  model: string;
}

export const KEYWORDS_FIELD = "keywords";
export const KEYWORDS_SPARSE_FIELD = "keywords_sparse";
/** Bytes of keyword text kept per image (Milvus VARCHAR lengths are bytes). */
export const MAX_KEYWORD_BYTES = 8000;
const OPTIONAL_FIELDS = ["content_hash", KEYWORDS_FIELD, KEYWORDS_SPARSE_FIELD];

const KEYWORD_FIELDS: FieldType[] = [
  { name: KEYWORDS_FIELD, data_type: DataType.VarChar, max_length: 8192, enable_analyzer: true, description: "metadata text for BM25 (KEYWORD_FIELDS)" },
  { name: KEYWORDS_SPARSE_FIELD, data_type: DataType.SparseFloatVector },
];
const BM25_FUNCTION = { name: "keywords_bm25", type: FunctionType.BM25, input_field_names: [KEYWORDS_FIELD], output_field_names: [KEYWORDS_SPARSE_FIELD], params: {} };

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
  let layout: CollectionLayout;
  if (!listed.data.some((c) => c.name === spec.name)) {
    layout = await createCollection(connection, spec, logger, options);
  } else {
    layout = await checkSchema(connection, spec, options);
  }
  await ensureIndex(connection, spec, logger, options);
  if (layout.keywords) await ensureKeywordIndex(connection, spec, options);
  await connection.call("loadCollection", (c) => c.loadCollection({ collection_name: spec.name }), options);
  return layout;
}

/** With keyword search where this Milvus has BM25 functions (Milvus 2.5+, Lite 2.5+), else without. */
async function createCollection(connection: MilvusConnection, spec: ImageCollectionSpec, logger: Logger, options: CallOptions): Promise<CollectionLayout> {
  const description = `mmrag images; model ${spec.modelName}`;
  try {
    await connection.call(
      "createCollection",
      (c) => c.createCollection({ collection_name: spec.name, fields: [...expectedFields(spec.dimension), ...KEYWORD_FIELDS], functions: [BM25_FUNCTION], description }),
      options,
    );
    logger.info({ collection: spec.name, dimension: spec.dimension, keywords: true }, "Created Milvus collection");
    return { legacyContentHash: false, keywords: true, model: spec.modelName };
  } catch (err) {
    if (!(err instanceof MilvusRequestError)) throw err;
    logger.warn({ collection: spec.name, err: err.message }, "This Milvus cannot create BM25 functions; the collection gets no keyword search");
    await connection.call("createCollection", (c) => c.createCollection({ collection_name: spec.name, fields: expectedFields(spec.dimension), description }), options);
    return { legacyContentHash: false, keywords: false, model: spec.modelName };
  }
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
    if (!expected.some((f) => f.name === extra) && !OPTIONAL_FIELDS.includes(extra)) problems.push(`field "${extra}" is there but not expected`);
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
  return {
    legacyContentHash: actual.has("content_hash"),
    keywords: actual.has(KEYWORDS_FIELD) && actual.has(KEYWORDS_SPARSE_FIELD),
    model: modelOf(described.schema.description ?? ""),
  };
}

/** The model a collection's description names ("" when it names none). */
export function modelOf(description: string): string {
  return /; model (.+)$/.exec(description)?.[1] ?? "";
}

async function ensureKeywordIndex(connection: MilvusConnection, spec: ImageCollectionSpec, options: CallOptions): Promise<void> {
  const existing = await connection
    .call("describeIndex", (c) => c.describeIndex({ collection_name: spec.name, field_name: KEYWORDS_SPARSE_FIELD }), options)
    .catch(() => undefined);
  // Milvus Lite answers describeIndex with every index of the collection, whatever the field asked for.
  if (existing?.index_descriptions?.some((d) => d.field_name === KEYWORDS_SPARSE_FIELD)) return;
  await connection.call(
    "createIndex",
    (c) => c.createIndex({ collection_name: spec.name, field_name: KEYWORDS_SPARSE_FIELD, index_type: "SPARSE_INVERTED_INDEX", metric_type: "BM25" }),
    options,
  );
}

async function ensureIndex(connection: MilvusConnection, spec: ImageCollectionSpec, logger: Logger, options: CallOptions): Promise<void> {
  const existing = await connection
    .call("describeIndex", (c) => c.describeIndex({ collection_name: spec.name, field_name: "vector" }), options)
    .catch(() => undefined);
  const current = existing?.index_descriptions?.find((d) => d.field_name === "vector")?.params.find((p) => p.key === "index_type")?.value;
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
