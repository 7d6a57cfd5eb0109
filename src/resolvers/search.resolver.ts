import { Arg, Ctx, Float, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { GraphQLUpload, type FileUpload } from "graphql-upload-minimal";
import type { RequestContext } from "../context.js";
import { panoramaUrl } from "../http/public-urls.js";
import { RankedResult } from "../schema/ranked-result.type.js";
import { SearchFilter } from "../schema/search-filter.input.js";
import { SearchHit } from "../schema/search-hit.type.js";
import type { Hit, SearchOptions, SearchService } from "../services/search.service.js";
import { readUpload } from "./read-upload.js";
import { toImage } from "./to-image.js";

@Resolver()
export class SearchResolver {
  constructor(
    private readonly searches: SearchService,
    private readonly maxUploadBytes: number,
  ) {}

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
    @Ctx() ctx: RequestContext,
  ): Promise<RankedResult> {
    const bytes = image ? await readUpload(image, this.maxUploadBytes, "image") : undefined;
    const result = await this.searches.composed({ image: bytes, imageId, instruction, rerank, imageWeight, ...options(limit, filter) });
    const toHit = (h: Hit) => toSearchHit(h, ctx.baseUrl);
    return {
      ...result,
      hits: result.hits.map(toHit),
      ranking: result.ranking.map(toHit),
      best: result.best ? toHit(result.best) : null,
      panoramaUrl: result.panoramaId ? panoramaUrl(ctx.baseUrl, result.panoramaId) : null,
    };
  }

  @Query(() => [SearchHit], { description: "Images matching a text description." })
  async search(
    @Arg("text", () => String) text: string,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    return (await this.searches.byText(text, options(limit, filter))).map((h) => toSearchHit(h, ctx.baseUrl));
  }

  @Mutation(() => [SearchHit], { description: "Images that look like the uploaded one." })
  async searchByImage(
    @Arg("image", () => GraphQLUpload) image: Promise<FileUpload>,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    const bytes = await readUpload(image, this.maxUploadBytes, "image");
    return (await this.searches.byImage(bytes, options(limit, filter))).map((h) => toSearchHit(h, ctx.baseUrl));
  }

  @Query(() => [SearchHit], { description: "Images that look like a catalogue image (which is left out)." })
  async similarTo(
    @Arg("imageId", () => ID) imageId: string,
    @Arg("limit", () => Int, { defaultValue: 9 }) limit: number,
    @Arg("filter", () => SearchFilter, { nullable: true }) filter: SearchFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<SearchHit[]> {
    return (await this.searches.similarTo(imageId, options(limit, filter))).map((h) => toSearchHit(h, ctx.baseUrl));
  }
}

function options(limit: number, filter: SearchFilter | undefined): SearchOptions {
  const { minScore, ...catalogFilter } = filter ?? {};
  return { limit, minScore: minScore ?? undefined, filter: catalogFilter };
}

function toSearchHit(hit: Hit, baseUrl: string): SearchHit {
  return { image: toImage(hit.record, baseUrl), score: hit.score, rank: hit.rank };
}
