import { Field, Float, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { INGEST_STATUSES, type IngestStatus as Status } from "../services/ingest/ingest-job.js";

export const IngestStatus = Object.fromEntries(INGEST_STATUSES.map((s) => [s, s])) as { [K in Status]: K };
registerEnumType(IngestStatus, {
  name: "IngestStatus",
  description: "QUEUED → RUNNING → SUCCEEDED (all stored or skipped), PARTIAL (some failed), FAILED (none stored, or stopped) or CANCELLED.",
});

@ObjectType({ description: "One item of an ingest that could not be stored, and why." })
export class IngestItemError {
  @Field(() => String, { description: "File name, the path relative to the ingested folder, or the URL." })
  item!: string;

  @Field(() => String, { description: "A stable error code, e.g. UNSUPPORTED_MEDIA_TYPE." })
  code!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: "A catalogue ingest running in the background; follow it with the ingestProgress subscription." })
export class IngestJob {
  @Field(() => ID)
  id!: string;

  @Field(() => IngestStatus)
  status!: Status;

  @Field(() => String, { description: '"upload", "folder", "urls", or "reindex" (a catalogue re-embedded with another model).' })
  kind!: string;

  @Field(() => String, { description: "What was ingested: the folder, or how many files were uploaded." })
  source!: string;

  @Field(() => String, { description: "The catalogue the images go to." })
  catalogue!: string;

  @Field(() => Int, { description: "Items in the job." })
  total!: number;

  @Field(() => Int, { description: "Items done so far, whatever their outcome." })
  processed!: number;

  @Field(() => Int, { description: "Images added to the catalogue." })
  succeeded!: number;

  @Field(() => Int, { description: "Images already in the catalogue (same bytes), left as they were." })
  skipped!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => [IngestItemError], { description: "Why items failed (the first 1000)." })
  errors!: IngestItemError[];

  @Field(() => Float)
  imagesPerSecond!: number;

  @Field(() => Float, { nullable: true, description: "Seconds left at the current rate; null until there is a rate." })
  etaSeconds!: number | null;

  @Field(() => String, { nullable: true, description: "Why the job stopped early, and what to do about it." })
  message!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
