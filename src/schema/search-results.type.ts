import { Field, ObjectType } from "type-graphql";
import { SearchHit } from "./search-hit.type.js";

@ObjectType({ description: "The answer to one query of a searchBatch, in the order the queries were given." })
export class SearchResults {
  @Field(() => [SearchHit], { description: "What search(text, limit, filter) would answer for this query alone." })
  hits!: SearchHit[];
}
