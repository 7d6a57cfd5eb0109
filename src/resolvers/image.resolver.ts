import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { GraphQLUpload, type FileUpload } from "graphql-upload-minimal";
import type { RequestContext } from "../context.js";
import { AddImagePayload } from "../schema/add-image.type.js";
import { ImageConnection } from "../schema/image-connection.type.js";
import { ImageFilter } from "../schema/image-filter.input.js";
import { ImageOrder } from "../schema/image-order.enum.js";
import { Image } from "../schema/image.type.js";
import type { CatalogService } from "../services/catalog.service.js";
import { DEFAULT_CATALOGUE, type Catalogues } from "../services/catalogues.service.js";
import { encodeCursor } from "../services/image-cursor.js";
import { readUpload } from "./read-upload.js";
import { toImage } from "./to-image.js";

@Resolver(() => Image)
export class ImageResolver {
  constructor(
    private readonly catalogues: Catalogues,
    private readonly maxUploadBytes: number,
  ) {}

  private async catalog(name: string): Promise<CatalogService> {
    return (await this.catalogues.get(name)).catalog;
  }

  @Query(() => Image, { nullable: true, description: "One image by id; null when there is none." })
  async image(@Arg("id", () => ID) id: string, @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string, @Ctx() ctx: RequestContext): Promise<Image | null> {
    const record = await (await this.catalog(catalogue)).find(id);
    return record ? toImage(record, ctx.urls) : null;
  }

  @Query(() => ImageConnection, { description: "The catalogue, a page at a time." })
  async images(
    @Arg("first", () => Int, { defaultValue: 20, description: "Page size, 1 to 1000." }) first: number,
    @Arg("after", () => String, { nullable: true, description: "endCursor of the previous page." }) after: string | undefined,
    @Arg("filter", () => ImageFilter, { nullable: true }) filter: ImageFilter | undefined,
    @Arg("orderBy", () => ImageOrder, { defaultValue: ImageOrder.NEWEST_FIRST, description: "A cursor only continues the order it came from." })
    orderBy: ImageOrder,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<ImageConnection> {
    const catalog = await this.catalog(catalogue);
    const [page, totalCount] = await Promise.all([catalog.list({ first, after, filter, order: orderBy }), catalog.count(filter)]);
    const nodes = page.records.map((r) => toImage(r, ctx.urls));
    const edges = nodes.map((node) => ({ cursor: encodeCursor(node, orderBy), node }));
    return { edges, nodes, totalCount, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Mutation(() => AddImagePayload, { description: "Adds one image (multipart upload), embeds and indexes it before answering." })
  async addImage(
    @Arg("file", () => GraphQLUpload) file: Promise<FileUpload>,
    @Arg("metadata", () => GraphQLJSONObject, { nullable: true }) metadata: Record<string, unknown> | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<AddImagePayload> {
    const catalog = await this.catalog(catalogue);
    const bytes = await readUpload(file, this.maxUploadBytes);
    const { image, created } = await catalog.add(bytes, metadata ?? {});
    return { image: toImage(image, ctx.urls), created };
  }

  @Mutation(() => Image, {
    description:
      "Changes an image's metadata without embedding it again (its vector stays as it is). With merge (the default) the given keys are set, " +
      "keys given as null are removed and the others kept; with merge: false the metadata is replaced whole. NOT_FOUND if there is no such image.",
  })
  async updateImage(
    @Arg("id", () => ID) id: string,
    @Arg("metadata", () => GraphQLJSONObject) metadata: Record<string, unknown>,
    @Arg("merge", () => Boolean, { defaultValue: true }) merge: boolean,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Image> {
    return toImage(await (await this.catalog(catalogue)).update(id, metadata, merge), ctx.urls);
  }

  @Mutation(() => Boolean, {
    description: "Removes an image's vector and its stored files (the files stay while another catalogue holds the image). NOT_FOUND if there is no such image.",
  })
  async deleteImage(@Arg("id", () => ID) id: string, @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string): Promise<boolean> {
    await (await this.catalog(catalogue)).delete(id);
    return true;
  }
}
