import { Arg, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { GraphQLUpload, type FileUpload } from "graphql-upload-minimal";
import type { RequestContext } from "../context.js";
import { BadUserInputError, ForbiddenError } from "../errors.js";
import { IngestJob } from "../schema/ingest-job.type.js";
import type { IngestJobState } from "../services/ingest/ingest-job.js";
import { DEFAULT_CATALOGUE, type Catalogues } from "../services/catalogues.service.js";
import type { IngestTarget } from "../services/ingest/ingest.service.js";
import type { IngestJobs } from "../services/jobs/ingest-jobs.js";
import { spoolUploads } from "./read-upload.js";

@Resolver(() => IngestJob)
export class IngestResolver {
  constructor(
    private readonly ingest: IngestJobs,
    private readonly maxUploadBytes: number,
    private readonly catalogues: Pick<Catalogues, "get">,
  ) {}

  /** Resolved before the job starts, so an unknown catalogue is NOT_FOUND at once. */
  private async target(name: string): Promise<IngestTarget> {
    return { name, catalog: (await this.catalogues.get(name)).catalog };
  }

  @Mutation(() => IngestJob, { description: "Starts ingesting uploaded images (multipart) and returns the job at once." })
  async ingestImages(
    @Arg("files", () => [GraphQLUpload]) files: Array<Promise<FileUpload>>,
    @Arg("metadata", () => [GraphQLJSONObject], { nullable: "itemsAndList", description: "Metadata per file, in the same order." })
    metadata: Array<Record<string, unknown> | null> | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IngestJob> {
    const target = await this.target(catalogue);
    if (metadata && metadata.length !== files.length) {
      throw new BadUserInputError(`metadata has ${metadata.length} entries for ${files.length} files`, { field: "metadata" });
    }
    const spool = this.ingest.newSpoolDir();
    const spooled = await spoolUploads(files, spool, this.maxUploadBytes);
    const job = await this.ingest.startUploads(spooled.map((file, i) => ({ ...file, metadata: metadata?.[i] ?? undefined })), spool, target, ctx.requestId);
    if (ctx.caller.keyName) await ctx.access.jobOwners.record(job.id, ctx.caller.keyName);
    return toIngestJob(job);
  }

  @Mutation(() => IngestJob, { description: "Starts ingesting a folder on the server; only folders under INGEST_ROOTS may be read." })
  async ingestFolder(
    @Arg("path", () => String) path: string,
    @Arg("recursive", () => Boolean, { defaultValue: true }) recursive: boolean,
    @Arg("pattern", () => String, { nullable: true, description: "Glob on file names, default: common image extensions." }) pattern: string | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IngestJob> {
    const job = await this.ingest.startFolder(path, { recursive, pattern }, await this.target(catalogue), ctx.requestId);
    if (ctx.caller.keyName) await ctx.access.jobOwners.record(job.id, ctx.caller.keyName);
    return toIngestJob(job);
  }

  @Mutation(() => IngestJob, {
    description: "Starts ingesting images fetched from http(s) URLs; off unless the server sets INGEST_URL_ALLOWLIST. Each image's metadata gets its sourceUrl.",
  })
  async ingestUrls(
    @Arg("urls", () => [String]) urls: string[],
    @Arg("metadata", () => [GraphQLJSONObject], { nullable: "itemsAndList", description: "Metadata per URL, in the same order." })
    metadata: Array<Record<string, unknown> | null> | undefined,
    @Arg("catalogue", () => String, { defaultValue: DEFAULT_CATALOGUE }) catalogue: string,
    @Ctx() ctx: RequestContext,
  ): Promise<IngestJob> {
    if (metadata && metadata.length !== urls.length) {
      throw new BadUserInputError(`metadata has ${metadata.length} entries for ${urls.length} URLs`, { field: "metadata" });
    }
    const job = await this.ingest.startUrls(urls, metadata, await this.target(catalogue), ctx.requestId);
    if (ctx.caller.keyName) await ctx.access.jobOwners.record(job.id, ctx.caller.keyName);
    return toIngestJob(job);
  }

  @Mutation(() => IngestJob, { description: "Stops a running job after the images in flight; it ends CANCELLED." })
  async cancelIngestJob(@Arg("id", () => ID) id: string, @Ctx() ctx: RequestContext): Promise<IngestJob> {
    // With keys on, a write key may cancel the jobs it started; admin keys (and everyone with keys off) any job.
    if (!ctx.access.isAdmin(ctx.caller) && !(await ctx.access.jobOwners.ownedBy(id, ctx.caller.keyName ?? ""))) {
      throw new ForbiddenError(`Job ${id} was started by another key; only its own jobs or an admin key may cancel it`);
    }
    return toIngestJob(await this.ingest.cancel(id));
  }

  @Query(() => IngestJob, { nullable: true })
  async ingestJob(@Arg("id", () => ID) id: string): Promise<IngestJob | null> {
    const job = await this.ingest.get(id);
    return job ? toIngestJob(job) : null;
  }

  @Query(() => [IngestJob], { description: "Recent jobs, newest first." })
  async ingestJobs(@Arg("limit", () => Int, { defaultValue: 20 }) limit: number): Promise<IngestJob[]> {
    if (limit < 1 || limit > 500) throw new BadUserInputError("limit must be between 1 and 500", { field: "limit" });
    return (await this.ingest.list(limit)).map(toIngestJob);
  }

  @Subscription(() => IngestJob, {
    description: "The job's state at once, then updates while it runs (every 100–500 ms), then the final state; then the stream ends.",
    subscribe: ({ args, context }) => (context as RequestContext).ingest.watch(String(args.jobId)),
  })
  ingestProgress(@Root() job: IngestJobState, @Arg("jobId", () => ID) _jobId: string): IngestJob {
    return toIngestJob(job);
  }
}

export function toIngestJob(job: IngestJobState): IngestJob {
  return {
    ...job,
    catalogue: job.catalogue ?? DEFAULT_CATALOGUE,
    createdAt: new Date(job.createdAt),
    startedAt: job.startedAt ? new Date(job.startedAt) : null,
    finishedAt: job.finishedAt ? new Date(job.finishedAt) : null,
  };
}
