import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context.js";
import { Catalogue } from "../schema/catalogue.type.js";
import { IngestJob } from "../schema/ingest-job.type.js";
import { DEFAULT_CATALOGUE, type CatalogueServices, type Catalogues } from "../services/catalogues.service.js";
import type { ReindexService } from "../services/reindex.service.js";
import { toIngestJob } from "./ingest.resolver.js";

@Resolver(() => Catalogue)
export class CatalogueResolver {
  constructor(
    private readonly registry: Catalogues,
    private readonly reindexer: ReindexService,
  ) {}

  @Query(() => [Catalogue], { description: 'Every catalogue, "default" first.' })
  async catalogues(): Promise<Catalogue[]> {
    const names = await this.registry.names();
    return Promise.all(names.map(async (name) => this.toCatalogue(await this.registry.get(name))));
  }

  @Mutation(() => Catalogue, { description: "Creates an empty catalogue (its own Milvus collection). Names: lowercase letters, digits and single _, from a letter." })
  async createCatalogue(@Arg("name", () => String) name: string): Promise<Catalogue> {
    return this.toCatalogue(await this.registry.create(name));
  }

  @Mutation(() => Boolean, {
    description: "Drops a catalogue and its vectors (all its collections). Image files no other catalogue uses are removed at the next start. The default catalogue stays.",
  })
  async dropCatalogue(@Arg("name", () => String) name: string): Promise<boolean> {
    await this.registry.drop(name);
    return true;
  }

  @Mutation(() => IngestJob, {
    description:
      "Re-embeds a catalogue's stored images with another model (a folder under MODELS_DIR) into a new collection, as a job (watch it with ingestProgress). " +
      "Searches use the old collection until the job succeeds, then the new one and its model; the old collection stays, listed in Catalogue.inactiveCollections, until dropInactiveCollection.",
  })
  async reindex(
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Arg("model", () => String, { description: 'A model folder under MODELS_DIR, e.g. "clip-vit-base-patch32".' }) model: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IngestJob> {
    const job = await this.reindexer.start(catalogue, model, ctx.requestId);
    if (ctx.caller.keyName) await ctx.access.jobOwners.record(job.id, ctx.caller.keyName);
    return toIngestJob(job);
  }

  @Mutation(() => Boolean, { description: "Drops one of a catalogue's inactive collections (see Catalogue.inactiveCollections); never the active one." })
  async dropInactiveCollection(
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Arg("collection", () => String) collection: string,
  ): Promise<boolean> {
    await this.registry.dropInactive(catalogue, collection);
    return true;
  }

  private async toCatalogue(services: CatalogueServices): Promise<Catalogue> {
    const { collection } = services;
    return {
      name: services.name,
      collection: collection.name,
      inactiveCollections: await this.registry.inactiveCollections(services.name),
      dimension: collection.dimension,
      images: await services.catalog.count(),
      model: collection.model || null,
      warning: services.problem ?? null,
      keywordSearch: collection.hasKeywords,
    };
  }
}
