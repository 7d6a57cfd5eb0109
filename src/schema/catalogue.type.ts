import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A named set of images with its own Milvus collection; every operation takes catalogue (default \"default\")." })
export class Catalogue {
  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "The Milvus collection it is searched in (its active one; reindex makes a new one active)." })
  collection!: string;

  @Field(() => [String], { description: "Its other collections, no longer searched (from before a reindex); dropInactiveCollection drops one." })
  inactiveCollections!: string[];

  @Field(() => Int, { description: "Length of the vectors in its active collection." })
  dimension!: number;

  @Field(() => Int, { description: "Images in it." })
  images!: number;

  @Field(() => String, { nullable: true, description: "The embedding model its active collection was made for, which embeds its queries; null when the collection does not say." })
  model!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Set when it cannot be searched or added to (its collection was built with a model of another dimension that this server cannot load), with the reindex that fixes it.",
  })
  warning!: string | null;

  @Field(() => Boolean, { description: "Whether keyword and hybrid search work here (a keyword index, Milvus BM25)." })
  keywordSearch!: boolean;
}
