import { Arg, Query, Resolver } from "type-graphql";
import { Stats } from "../schema/stats.type.js";
import { DEFAULT_CATALOGUE, type Catalogues } from "../services/catalogues.service.js";
import type { RerankService } from "../services/rerank/index.js";
import type { VectorStore } from "../services/vector-store.service.js";

@Resolver()
export class StatsResolver {
  constructor(
    private readonly catalogues: Catalogues,
    private readonly vectors: VectorStore,
    private readonly reranker: RerankService,
  ) {}

  @Query(() => Stats, { description: "What the server holds and runs, for one catalogue." })
  async stats(@Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string): Promise<Stats> {
    const { catalog, collection, model, problem } = await this.catalogues.get(catalogue);
    return {
      images: await catalog.count(),
      dimension: collection.dimension,
      backend: this.vectors.backend,
      collection: collection.name,
      index: collection.indexType,
      model: { ...model, warning: model.warning ?? null },
      warning: problem ?? null,
      rerank: { enabled: this.reranker.disabledReason === null, model: this.reranker.model, reason: this.reranker.disabledReason },
    };
  }
}
