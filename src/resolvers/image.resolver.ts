import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { GraphQLUpload, type FileUpload } from "graphql-upload-minimal";
import type { RequestContext } from "../context.js";
import { AddImagePayload } from "../schema/add-image.type.js";
import { ImageConnection } from "../schema/image-connection.type.js";
import { ImageFilter } from "../schema/image-filter.input.js";
import { Image } from "../schema/image.type.js";
import { encodeCursor, type CatalogService } from "../services/catalog.service.js";
import { readUpload } from "./read-upload.js";
import { toImage } from "./to-image.js";

@Resolver(() => Image)
export class ImageResolver {
  constructor(
    private readonly catalog: CatalogService,
    private readonly maxUploadBytes: number,
  ) {}

  @Query(() => Image, { nullable: true, description: "One image by id; null when there is none." })
  async image(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Image | null> {
    const record = await this.catalog.find(id);
    return record ? toImage(record, ctx.urls) : null;
  }

  @Query(() => ImageConnection, { description: "The catalogue, a page at a time." })
  async images(
    @Arg("first", () => Int, { defaultValue: 20, description: "Page size, 1 to 1000." }) first: number,
    @Arg("after", () => String, { nullable: true, description: "endCursor of the previous page." }) after: string | undefined,
    @Arg("filter", () => ImageFilter, { nullable: true }) filter: ImageFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<ImageConnection> {
    const [page, totalCount] = await Promise.all([this.catalog.list({ first, after, filter }), this.catalog.count(filter)]);
    const nodes = page.records.map((r) => toImage(r, ctx.urls));
    const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
    return { edges, nodes, totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Mutation(() => AddImagePayload, { description: "Adds one image (multipart upload), embeds and indexes it before answering." })
  async addImage(
    @Arg("file", () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg("metadata", () => GraphQLJSONObject, { nullable: true }) metadata: Record<string, unknown> | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<AddImagePayload> {
    const bytes = await readUpload(file, this.maxUploadBytes);
    const { image, created } = await this.catalog.add(bytes, metadata ?? {});
    return { image: toImage(image, ctx.urls), created };
  }

  @Mutation(() => Boolean, { description: "Removes an image's vector and its stored files. NOT_FOUND if there is no such image." })
  async deleteImage(@Arg("id", () => ID) id: string): Promise<boolean> {
    await this.catalog.delete(id);
    return true;
  }
}
