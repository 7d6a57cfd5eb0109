import { Arg, Ctx, Float, ID, Int, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { GraphQLUpload, type FileUpload } from "graphql-upload-minimal";
import type { RequestContext } from "../context.js";
import type { PublicUrls } from "../http/public-urls.js";
import { ComposedSearchEvent, ComposedSearchEventKind } from "../schema/composed-search-event.type.js";
import { RankedResult } from "../schema/ranked-result.type.js";
import { SearchFilter } from "../schema/search-filter.input.js";
import { SearchHit } from "../schema/search-hit.type.js";
import { SearchInput } from "../schema/search-input.input.js";
import { SearchMode } from "../schema/search-mode.enum.js";
import { SearchResults } from "../schema/search-results.type.js";
import { streamComposed, type ComposedEvent } from "../services/composed-stream.js";
import { DEFAULT_CATALOGUE, type Catalogues } from "../services/catalogues.service.js";
import type { ComposedResult, Hit, SearchOptions, SearchService } from "../services/search.service.js";
import { readUpload } from "./read-upload.js";
import { toImage } from "./to-image.js";

@Resolver()
export class SearchResolver {
  constructor(
    private readonly catalogues: Catalogues,
    private readonly maxUploadBytes: number,
  ) {}

  private async searches(name: string): Promise<SearchService> {
    return (await this.catalogues.get(name)).search;
  }

  @Mutation(() => RankedResult, {
    description: "Composed image retrieval: the query image (upload it, or name a catalogue image with imageId) with an instruction, the nearest images, then a vision LLM's ranking and its reasons.",
  })
  async searchComposed(
    @Arg("instruction", () => String, { description: 'What to find, relative to the image: "phone case with this image theme".' }) instruction: string,
    @Arg("image", () => GraphQLUpload, { nullable: true }) image: Promise<FileUpload> | undefined,
    @Arg("imageId", () => ID, { nullable: true }) imageId: string | undefined,
    @Arg("limit", () => Int, { defaultValue: 9, description: "Candidates, 1 to 100." }) limit: number,
    @Arg("rerank", () => Boolean, { defaultValue: true }) rerank: boolean,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Arg("imageWeight", () => Float, { nullable: true, description: "CLIP-family models: weight of the image against the text, 0 to 1 (default 0.5)." })
    imageWeight: number | undefined,
    @Arg("exclude", () => [String], {
      nullable: true,
      description: "Up to 10 things the results should be unlike; the query moves away from them: q' = normalise(q − excludeWeight · mean of their text embeddings).",
    })
    exclude: string[] | undefined,
    @Arg("excludeWeight", () => Float, { nullable: true, description: "How far to move away from exclude, 0 to 1 (default 0.5)." })
    excludeWeight: number | undefined,
    @Arg("keywords", () => String, {
      nullable: true,
      description: "Words to match in the metadata (KEYWORD_FIELDS) too: the vector results are fused with Milvus BM25 results (RRF). NOT_SUPPORTED on collections without a keyword index.",
    })
    keywords: string | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<RankedResult> {
    const bytes = image ? await readUpload(image, this.maxUploadBytes, "image") : undefined;
    const result = await (await this.searches(catalogue)).composed({
      image: bytes,
      imageId,
      instruction,
      rerank,
      imageWeight,
      exclude: exclude ?? undefined,
      excludeWeight: excludeWeight ?? undefined,
      keywords: keywords ?? undefined,
      ...options(limit, filter),
    });
    return toRankedResult(result, ctx.urls);
  }

  @Subscription(() => ComposedSearchEvent, {
    description:
      "searchComposed for a catalogue image, streamed over graphql-ws: HITS at once, then the LLM's RANKING and its EXPLANATION " +
      "as they arrive, then the RESULT (what searchComposed answers), and the stream ends.",
    subscribe: ({ args, context }) =>
      streamComposed(catalogueSearch(context as RequestContext, String(args.catalogue)), {
        imageId: String(args.imageId),
        instruction: args.instruction,
        rerank: args.rerank,
        imageWeight: args.imageWeight ?? undefined,
        exclude: args.exclude ?? undefined,
        excludeWeight: args.excludeWeight ?? undefined,
        keywords: args.keywords ?? undefined,
        ...options(args.limit, args.filter ?? undefined),
      }),
  })
  searchComposedStream(
    @Root() event: ComposedEvent,
    @Arg("imageId", () => ID, { description: "The catalogue image to use as the query (uploads need searchComposed)." }) _imageId: string,
    @Arg("instruction", () => String) _instruction: string,
    @Arg("limit", () => Int, { defaultValue: 9 }) _limit: number,
    @Arg("rerank", () => Boolean, { defaultValue: true }) _rerank: boolean,
    @Arg("filter", () => SearchFilter, { nullable: true }) _filter: SearchFilter | undefined,
    @Arg("imageWeight", () => Float, { nullable: true }) _imageWeight: number | undefined,
    @Arg("exclude", () => [String], { nullable: true }) _exclude: string[] | undefined,
    @Arg("excludeWeight", () => Float, { nullable: true }) _excludeWeight: number | undefined,
    @Arg("keywords", () => String, { nullable: true }) _keywords: string | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) _catalogue: string,
    @Ctx() ctx: RequestContext,
  ): ComposedSearchEvent {
    const toHit = (h: Hit) => toSearchHit(h, ctx.urls);
    const empty = { kind: event.kind as ComposedSearchEventKind, hits: null, ranking: null, explanationDelta: null, result: null };
    if (event.kind === "HITS") return { ...empty, hits: event.hits.map(toHit) };
    if (event.kind === "RANKING") return { ...empty, ranking: event.ranking.map(toHit) };
    if (event.kind === "EXPLANATION") return { ...empty, explanationDelta: event.delta };
    return { ...empty, result: toRankedResult(event.result, ctx.urls) };
  }

  @Query(() => [SearchHit], { description: "Images matching a text: by meaning (mode VECTOR, the default), by words in their metadata (KEYWORD), or both (HYBRID)." })
  async search(
    @Arg("text", () => String) text: string,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Arg("mode", () => SearchMode, { defaultValue: SearchMode.VECTOR }) mode: SearchMode,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    return (await (await this.searches(catalogue)).byText(text, { ...options(limit, filter), mode })).map((h) => toSearchHit(h, ctx.urls));
  }

  @Query(() => [SearchResults], {
    description: "Up to 32 text searches in one request, embedded in one model batch; each answer equals the same search sent alone.",
  })
  async searchBatch(@Arg("queries", () => [SearchInput]) queries: SearchInput[], @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string, @Ctx() ctx: RequestContext): Promise<SearchResults[]> {
    const results = await (await this.searches(catalogue)).batch(queries.map((q) => ({ text: q.text, ...options(q.limit, q.filter) })));
    return results.map((hits) => ({ hits: hits.map((h) => toSearchHit(h, ctx.urls)) }));
  }

  @Mutation(() => [SearchHit], { description: "Images that look like the uploaded one." })
  async searchByImage(
    @Arg("image", () => GraphQLUpload) image: Promise<FileUpload>,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    const bytes = await readUpload(image, this.maxUploadBytes, "image");
    return (await (await this.searches(catalogue)).byImage(bytes, options(limit, filter))).map((h) => toSearchHit(h, ctx.urls));
  }

  @Query(() => [SearchHit], { description: "Images that look like a catalogue image (which is left out)." })
  async similarTo(
    @Arg("imageId", () => ID) imageId: string,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    return (await (await this.searches(catalogue)).similarTo(imageId, options(limit, filter))).map((h) => toSearchHit(h, ctx.urls));
  }
}

function options(limit: number, filter: SearchFilter | undefined): SearchOptions {
  const { minScore, ...catalogFilter } = filter ?? {};
  return { limit, minScore: minScore ?? undefined, filter: catalogFilter };
}

/** The catalogue's composed search, opened when the stream starts (an unknown catalogue fails the stream). */
function catalogueSearch(context: RequestContext, name: string): Pick<SearchService, "composed"> {
  return { composed: async (query, listener) => (await context.catalogues.get(name)).search.composed(query, listener) };
}

function toRankedResult(result: ComposedResult, urls: PublicUrls): RankedResult {
  const toHit = (h: Hit) => toSearchHit(h, urls);
  return {
    ...result,
    hits: result.hits.map(toHit),
    ranking: result.ranking.map(toHit),
    best: result.best ? toHit(result.best) : null,
    panoramaUrl: result.panoramaId ? urls.panorama(result.panoramaId) : null,
  };
}

function toSearchHit(hit: Hit, urls: PublicUrls): SearchHit {
  return { image: toImage(hit.record, urls), score: hit.score, rank: hit.rank };
}
