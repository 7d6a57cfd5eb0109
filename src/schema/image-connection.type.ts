import { Field, Int, ObjectType } from "type-graphql";
import { Image } from "./image.type.js";

@ObjectType()
export class ImageEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Image)
  node!: Image;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: "Pass as `after` to get the next page." })
  endCursor!: string | null;
}

@ObjectType({ description: "A page of images in a stable order, with a cursor to the next page." })
export class ImageConnection {
  @Field(() => [ImageEdge])
  edges!: ImageEdge[];

  @Field(() => [Image], { description: "The edges' nodes, for clients that do not need cursors." })
  nodes!: Image[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: "Images matching the filter, across all pages." })
  totalCount!: number;
}
