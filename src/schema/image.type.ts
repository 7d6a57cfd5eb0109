import { Field, ID, Int, ObjectType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";

@ObjectType({ description: "A catalogue image. Its id is the sha256 of its bytes, so the same picture is stored once." })
export class Image {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "The original, as uploaded." })
  url!: string;

  @Field(() => String, { description: "A WebP no larger than the server's THUMBNAIL_SIZE on either side, for result grids." })
  thumbnailUrl!: string;

  @Field(() => String, { description: "A WebP at most 1024 px on a side (transparency kept), for showing one image large: originals can be 20 MB. Drawn on first request." })
  previewUrl!: string;

  @Field(() => Int)
  width!: number;

  @Field(() => Int)
  height!: number;

  @Field(() => String, { description: "jpeg, png, webp, gif, tiff, avif or heif." })
  format!: string;

  @Field(() => Int, { description: "Size of the original in bytes." })
  bytes!: number;

  @Field(() => GraphQLJSONObject, { description: "The JSON object stored with the image (product details, tags, ...)." })
  metadata!: Record<string, unknown>;

  @Field(() => Date)
  createdAt!: Date;
}
