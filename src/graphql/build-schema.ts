// Builds the GraphQL schema from the type-graphql classes. Resolver instances come from the container,
// so the schema can also be built without services (to print sdk/schema.graphql).
import "reflect-metadata";
import { buildSchema, type ContainerType } from "type-graphql";
import type { GraphQLSchema } from "graphql";
import { createPubSub } from "@graphql-yoga/subscription";
import { CatalogueResolver } from "../resolvers/catalogue.resolver.js";
import { ImageResolver } from "../resolvers/image.resolver.js";
import { IngestResolver } from "../resolvers/ingest.resolver.js";
import { SearchResolver } from "../resolvers/search.resolver.js";
import { StatsResolver } from "../resolvers/stats.resolver.js";
import { RankedResult } from "../schema/ranked-result.type.js";
import { SearchHit } from "../schema/search-hit.type.js";

export const RESOLVERS = [ImageResolver, IngestResolver, SearchResolver, StatsResolver, CatalogueResolver] as const;

export async function buildAppSchema(container?: ContainerType): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    orphanedTypes: [SearchHit, RankedResult],
    container,
    // Our subscriptions bring their own `subscribe` streams; type-graphql insists on a PubSub all the same.
    pubSub: createPubSub(),
    validate: false,
  });
}

/** A container of ready-made resolver instances, built in the composition root. */
export function instanceContainer(instances: object[]): ContainerType {
  const byClass = new Map(instances.map((i) => [i.constructor, i]));
  return {
    get(someClass: Function) {
      const instance = byClass.get(someClass);
      if (!instance) throw new Error(`No instance of ${someClass.name} was registered in the composition root`);
      return instance;
    },
  };
}
