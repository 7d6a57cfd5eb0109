import { Query, Resolver } from "type-graphql";
import { Stats } from "../schema/stats.type.js";
import type { CatalogService } from "../services/catalog.service.js";
import type { ModelInfo } from "../services/embedding/index.js";
import type { RerankService } from "../services/rerank/index.js";
import type { VectorStore } from "../services/vector-store.service.js";

@Resolver()
export class StatsResolver {
  constructor(
    private readonly catalog: CatalogService,
    private readonly vectors: VectorStore,
    private readonly model: ModelInfo,
    private readonly reranker: RerankService,
  ) {}

  @Query(() => Stats, { description: "What the server holds and runs." })
  async stats(): Promise<Stats> {
    return {
      images: await this.catalog.count(),
      dimension: this.vectors.dimension,
      backend: this.vectors.backend,
      collection: this.vectors.collection,
      index: this.vectors.indexType,
      model: { ...this.model, warning: this.model.warning ?? null },
      rerank: { enabled: this.reranker.disabledReason === null, model: this.reranker.model, reason: this.reranker.disabledReason },
    };
  }
}
