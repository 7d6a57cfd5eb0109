import { Field, Float, ObjectType } from "type-graphql";
import { SearchHit } from "./search-hit.type.js";

@ObjectType({ description: "Where the time of one search went, in milliseconds." })
export class SearchTimings {
  @Field(() => Float)
  embedMs!: number;

  @Field(() => Float)
  searchMs!: number;

  @Field(() => Float)
  rerankMs!: number;

  @Field(() => Float)
  totalMs!: number;
}

@ObjectType({ description: "A composed search: nearest images by vector, then reranked by a vision LLM that explains its best pick." })
export class RankedResult {
  @Field(() => String)
  instruction!: string;

  @Field(() => Boolean, { description: "True when the instruction was longer than the model reads (316 tokens for Visualized-BGE) and was cut." })
  instructionTruncated!: boolean;

  @Field(() => [SearchHit], { description: "Nearest images in vector order, with cosine scores." })
  hits!: SearchHit[];

  @Field(() => [SearchHit], { description: "The final order: the LLM's ranking when reranked, else the vector order." })
  ranking!: SearchHit[];

  @Field(() => SearchHit, { nullable: true, description: "The first of `ranking`; null when nothing matched." })
  best!: SearchHit | null;

  @Field(() => String, { nullable: true, description: "The LLM's reasons for its best pick." })
  explanation!: string | null;

  @Field(() => Boolean)
  reranked!: boolean;

  @Field(() => String, { nullable: true, description: "Why the LLM rerank was skipped or failed; the vector order is returned then." })
  rerankError!: string | null;

  @Field(() => String, { nullable: true, description: "The LLM that reranked." })
  model!: string | null;

  @Field(() => String, { nullable: true, description: "The numbered candidate panorama sent to the LLM." })
  panoramaUrl!: string | null;

  @Field(() => SearchTimings)
  timings!: SearchTimings;
}
