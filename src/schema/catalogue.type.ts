import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A named set of images with its own Milvus collection; every operation takes catalogue (default \"default\")." })
export class Catalogue {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "The Milvus collection it lives in." })
  collection!: string;

  @Field(() => Int, { description: "Images in it." })
  images!: number;

  @Field(() => String, { nullable: true, description: "The embedding model its collection was made for; null when the collection does not say." })
  model!: string | null;

  @Field(() => Boolean, { description: "Whether keyword and hybrid search work here (a keyword index, Milvus BM25)." })
  keywordSearch!: boolean;
}
