import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "An embedding model: the one that serves a catalogue." })
export class ModelInfo {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "visualized-bge or clip." })
  family!: string;

  @Field(() => Int)
  dimension!: number;

  @Field(() => Boolean, { description: "True for a model with random weights made by mmrag itself: results mean nothing." })
  generated!: boolean;

  @Field(() => String, { description: "folder, pulled or generated-demo." })
  source!: string;

  @Field(() => String, { nullable: true })
  warning!: string | null;
}

@ObjectType({ description: "Whether searchComposed can ask the vision LLM to rerank, and with which model." })
export class RerankInfo {
  @Field(() => Boolean, { description: "True when an LLM endpoint is configured (OPENAI_API_KEY or OPENAI_BASE_URL)." })
  enabled!: boolean;

  @Field(() => String, { description: "The model rerank asks (RERANK_MODEL)." })
  model!: string;

  @Field(() => String, { nullable: true, description: "Why rerank is off, in words for the person setting the server up; null when enabled." })
  reason!: string | null;
}

@ObjectType()
export class Stats {
  @Field(() => Int, { description: "Images in the catalogue." })
  images!: number;

  @Field(() => Int, { description: "Length of every stored vector." })
  dimension!: number;

  @Field(() => String, { description: "milvus-lite (embedded) or milvus (a server or Zilliz Cloud)." })
  backend!: string;

  @Field(() => String, { description: "The catalogue's active collection." })
  collection!: string;

  @Field(() => String, { description: "The vector index: FLAT, IVF_FLAT, HNSW or AUTOINDEX." })
  index!: string;

  @Field(() => ModelInfo, { description: "The model that embeds this catalogue's images and queries: the one its active collection was built with." })
  model!: ModelInfo;

  @Field(() => String, { nullable: true, description: "Set when the catalogue cannot be searched (see Catalogue.warning), saying which reindex fixes it." })
  warning!: string | null;

  @Field(() => RerankInfo)
  rerank!: RerankInfo;
}
