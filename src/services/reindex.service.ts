// Moves a catalogue to another embedding model without the source files: a job re-embeds the stored
// originals into a new collection while searches keep using the old one, then switches at once. In one
// process the job runs here; with REDIS_URL its items are queued as chunks for the workers, and the worker
// that finishes the last chunk catches up and switches (every process hears of it through Redis).
import { randomUUID } from "node:crypto";
import { BadUserInputError } from "../errors.js";
import type { Logger } from "../logger.js";
import { copyImages } from "./catalogue-copy.js";
import type { CatalogueServices, Catalogues } from "./catalogues.service.js";
import type { ModelRegistry } from "./embedding/model-registry.js";
import type { ImageStore } from "./image-store.service.js";
import type { ImageRecord } from "./image-record.js";
import type { IngestJobState } from "./ingest/ingest-job.js";
import type { IngestItem, IngestService } from "./ingest/ingest.service.js";
import type { DistributedIngest } from "./jobs/distributed-ingest.service.js";
import type { ImageCollection } from "./milvus/image.collection.js";

const PAGE = 1000;
/** Catch-up passes before the switch; each is short, as it only sees changes made during the one before. */
const MAX_CATCH_UP_PASSES = 5;

export class ReindexService {
  constructor(
    private readonly deps: {
      catalogues: Catalogues;
      /** Where the job runs: in this process, or as chunks for the Redis workers (REDIS_URL). */
      ingest: { local: IngestService } | { queued: DistributedIngest };
      images: ImageStore;
      models: ModelRegistry;
      logger: Logger;
    },
  ) {}

  async start(catalogue: string, modelName: string, requestId?: string): Promise<IngestJobState> {
    const { catalogues, ingest, images, models, logger } = this.deps;
    const current = await catalogues.get(catalogue);
    const model = await models.get(modelName);
    if (!current.problem && current.model.name === model.info.name) {
      throw new BadUserInputError(`The catalogue "${catalogue}" already uses the model "${model.info.name}"`, { field: "model" });
    }
    const jobId = randomUUID();
    const next = await catalogues.successor(catalogue, model, jobId);
    try {
      const records = await allRecords(current.collection);
      const source = `${records.length} stored image${records.length === 1 ? "" : "s"} of "${catalogue}", re-embedded with ${model.info.name} into ${next.collection.name}`;
      logger.info({ catalogue, from: current.collection.name, to: next.collection.name, model: model.info.name, images: records.length, jobId }, "Reindex started");
      if ("queued" in ingest) return await ingest.queued.startReindex(jobId, records, { catalogue, collection: next.collection.name }, source, requestId);
      const items: IngestItem[] = records.map((record) => ({
        name: record.id,
        // A file gone since the listing belongs to an image deleted meanwhile: skipped.
        read: () => images.readOriginal(record.storageKey),
        metadata: async () => record.metadata,
        createdAt: record.createdAt,
      }));
      return await ingest.local.startReindex(items, { name: catalogue, catalog: next.catalog }, source, {
        complete: async (job) => {
          await ingest.local.settle(catalogue, job.id);
          await this.switchTo(catalogue, next);
        },
        abandon: () => catalogues.abandon(next, jobId),
      }, jobId);
    } catch (err) {
      await catalogues.abandon(next, jobId).catch(() => undefined);
      throw err;
    }
  }

  /** For the worker that finished a queued reindex's last chunk: catch up and switch every process. */
  async complete(catalogue: string, jobId: string, collection: string): Promise<void> {
    const building = await this.deps.catalogues.building(catalogue);
    if (building?.jobId === jobId) return this.switchTo(catalogue, building.services);
    // A worker that died after switching, before it recorded the job's end: done already.
    if ((await this.deps.catalogues.get(catalogue)).collection.name === collection) return;
    throw new Error(`The collection "${collection}" that reindex job ${jobId} was building for "${catalogue}" is gone`);
  }

  /** For the worker that finished a queued reindex that did not succeed: its collection is dropped. */
  async abandon(catalogue: string, jobId: string): Promise<void> {
    const building = await this.deps.catalogues.building(catalogue);
    if (building?.jobId === jobId) await this.deps.catalogues.abandon(building.services, jobId);
  }

  /**
   * Catches up, then switches. Writes still landing in the old collection after that (from requests that
   * opened it before the switch) are copied by the catalogue itself (Catalogues.copyWrite).
   */
  private async switchTo(catalogue: string, next: CatalogueServices): Promise<void> {
    await this.catchUp(catalogue, next);
    await this.deps.catalogues.activate(next);
  }

  /** Brings the new collection level with images added, edited or deleted in the old one while the job ran. */
  private async catchUp(catalogue: string, next: CatalogueServices): Promise<void> {
    for (let pass = 0; pass < MAX_CATCH_UP_PASSES; pass++) {
      const current = await this.deps.catalogues.get(catalogue);
      const [before, after] = await Promise.all([allRecords(current.collection), allRecords(next.collection)]);
      if ((await copyImages(before, after, next, this.deps.images)) === 0) return;
    }
  }
}

/** Every record of a collection, in id order. */
async function allRecords(collection: ImageCollection): Promise<ImageRecord[]> {
  const all: ImageRecord[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await collection.list({ first: PAGE, order: "ID", after: last && { id: last.id, createdAt: last.createdAt.getTime() } });
    all.push(...page.records);
    if (!page.hasNextPage) return all;
  }
}
