import { Arg, Mutation, Query, Resolver } from "type-graphql";
import { Catalogue } from "../schema/catalogue.type.js";
import type { CatalogueServices, Catalogues } from "../services/catalogues.service.js";

@Resolver(() => Catalogue)
export class CatalogueResolver {
  constructor(private readonly registry: Catalogues) {}

  @Query(() => [Catalogue], { description: 'Every catalogue, "default" first.' })
  async catalogues(): Promise<Catalogue[]> {
    const names = await this.registry.names();
    return Promise.all(names.map(async (name) => toCatalogue(await this.registry.get(name))));
  }

  @Mutation(() => Catalogue, { description: "Creates an empty catalogue (its own Milvus collection). Names: lowercase letters, digits and _, from a letter." })
  async createCatalogue(@Arg("name", () => String) name: string): Promise<Catalogue> {
    return toCatalogue(await this.registry.create(name));
  }

  @Mutation(() => Boolean, {
    description: "Drops a catalogue and its vectors. Image files no other catalogue uses are removed at the next start. The default catalogue stays.",
  })
  async dropCatalogue(@Arg("name", () => String) name: string): Promise<boolean> {
    await this.registry.drop(name);
    return true;
  }
}

async function toCatalogue(services: CatalogueServices): Promise<Catalogue> {
  const { collection } = services;
  return { name: services.name, collection: collection.name, images: await services.catalog.count(), model: collection.model || null, keywordSearch: collection.hasKeywords };
}
