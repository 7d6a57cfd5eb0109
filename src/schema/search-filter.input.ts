import { Field, Float, InputType } from "type-graphql";
import { ImageFilter } from "./image-filter.input.js";

@InputType({ description: "Which catalogue images a search may return." })
export class SearchFilter extends ImageFilter {
  @Field(() => Float, { nullable: true, description: "Leave out hits whose cosine similarity is below this (-1 to 1)." })
  minScore?: number;
}
