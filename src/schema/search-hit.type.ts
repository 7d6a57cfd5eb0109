import { Field, Float, Int, ObjectType } from "type-graphql";
import { Image } from "./image.type.js";

@ObjectType({ description: "One catalogue image found for a query." })
export class SearchHit {
  @Field(() => Image)
  image!: Image;

  @Field(() => Float, {
    description: "Cosine similarity between the query and the image, -1 to 1; for keyword searches the BM25 score, for hybrid ones (mode HYBRID, keywords) the RRF score.",
  })
  score!: number;

  @Field(() => Int, { description: "Position in its list, from 1." })
  rank!: number;
}
