import { Field, InputType, Int } from "type-graphql";
import { SearchFilter } from "./search-filter.input.js";

@InputType({ description: "One text search of a searchBatch." })
export class SearchInput {
  @Field(() => String, { description: "What to find, described in words." })
  text!: string;

  @Field(() => Int, { defaultValue: 9, description: "Hits, 1 to 100." })
  limit!: number;

  @Field(() => SearchFilter, { nullable: true })
  filter?: SearchFilter;
}
