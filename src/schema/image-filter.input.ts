import { Field, InputType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";

@InputType({ description: "All given conditions must hold." })
export class ImageFilter {
  @Field(() => String, { nullable: true, description: "Only images of this format (jpeg, png, webp, ...)." })
  format?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Metadata keys that must equal these values, e.g. {"category": "phone case"}; a list means any of them; "a.b" reaches into nested objects.',
  })
  metadata?: Record<string, string | number | boolean | Array<string | number | boolean>>;

  @Field(() => Date, { nullable: true })
  createdAfter?: Date;

  @Field(() => Date, { nullable: true })
  createdBefore?: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Only images whose metadata "title" contains this text, as written (case-sensitive; % and _ match themselves). At most 256 characters.',
  })
  titleContains?: string;
}
