import { Field, ObjectType, registerEnumType } from "type-graphql";
import { RankedResult } from "./ranked-result.type.js";
import { SearchHit } from "./search-hit.type.js";

export enum ComposedSearchEventKind {
  HITS = "HITS",
  RANKING = "RANKING",
  EXPLANATION = "EXPLANATION",
  RESULT = "RESULT",
}

registerEnumType(ComposedSearchEventKind, {
  name: "ComposedSearchEventKind",
  description: "What a searchComposedStream event carries.",
  valuesConfig: {
    HITS: { description: "The vector hits, first and at once." },
    RANKING: { description: "The LLM's order, as soon as its list is complete (when it reranks)." },
    EXPLANATION: { description: "More of the LLM's explanation, as it arrives; append the deltas." },
    RESULT: { description: "The final RankedResult, last; it decides (on an LLM failure it holds the vector order and rerankError)." },
  },
});

@ObjectType({ description: "One event of a streamed composed search; the field named by kind is set." })
export class ComposedSearchEvent {
  @Field(() => ComposedSearchEventKind)
  kind!: ComposedSearchEventKind;

  @Field(() => [SearchHit], { nullable: true })
  hits!: SearchHit[] | null;

  @Field(() => [SearchHit], { nullable: true })
  ranking!: SearchHit[] | null;

  @Field(() => String, { nullable: true })
  explanationDelta!: string | null;

  @Field(() => RankedResult, { nullable: true })
  result!: RankedResult | null;
}
