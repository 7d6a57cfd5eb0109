import { Field, ObjectType } from "type-graphql";
import { Image } from "./image.type.js";

@ObjectType()
export class AddImagePayload {
  @Field(() => Image)
  image!: Image;

  @Field(() => Boolean, { description: "False when the same bytes were already in the catalogue; nothing was added then." })
  created!: boolean;
}
