// Moves a catalogue to another embedding model without the source files: a job re-embeds the stored
// originals into a new collection while searches keep using the old one, then switches at once.
import { BadUserInputError, NotSupportedError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CatalogueServices, Catalogues } from "./catalogues.service.js";
import type { ModelRegistry } from "./embedding/model-registry.js";
import type { ImageStore } from "./image-store.service.js";
import type { ImageRecord } from "./image-record.js";
import type { IngestJobState } from "./ingest/ingest-job.js";
import type { IngestItem, IngestService } from "./ingest/ingest.service.js";
import type { ImageCollection } from "./milvus/image.collection.js";

const PAGE = 1000;
/** Catch-up passes before the switch; each is short, as it only sees changes made during the one before. */
const MAX_CATCH_UP_PASSES = 5;

export class ReindexService {
  constructor(
    private readonly deps: {
      catalogues: Catalogues;
      /** The in-process job runner; undefined when ingest runs in Redis workers (REDIS_URL). */
      ingest: IngestService | undefined;
      images: ImageStore;
      models: ModelRegistry;
      logger: Logger;
    },
  ) {}

  async start(catalogue: string, modelName: string): Promise<IngestJobState> {
    const { catalogues, ingest, images, models, logger } = this.deps;
    if (!ingest) {
      // Other API processes and the workers would keep the old collection until restarted, and their ingest
      // jobs could not be waited for: a switch here would silently split the catalogue.
      throw new NotSupportedError(
        "reindex runs on a single-process server: with REDIS_URL other processes would keep using the old collection. Run it on one server without REDIS_URL on the same data, then restart the others.",
      );
    }
    const current = await catalogues.get(catalogue);
    const model = await models.get(modelName);
    if (!current.problem && current.model.name === model.info.name) {
      throw new BadUserInputError(`The catalogue "${catalogue}" already uses the model "${model.info.name}"`, { field: "model" });
    }
    const next = await catalogues.successor(catalogue, model);
    try {
      const records = await allRecords(current.collection);
      const items: IngestItem[] = records.map((record) => ({
        name: record.id,
        // A file gone since the listing belongs to an image deleted meanwhile: skipped.
        read: () => images.readOriginal(record.storageKey),
        metadata: async () => record.metadata,
        createdAt: record.createdAt,
      }));
      const source = `${records.length} stored image${records.length === 1 ? "" : "s"} of "${catalogue}", re-embedded with ${model.info.name} into ${next.collection.name}`;
      logger.info({ catalogue, from: current.collection.name, to: next.collection.name, model: model.info.name, images: records.length }, "Reindex started");
      return await ingest.startReindex(items, { name: catalogue, catalog: next.catalog }, source, {
        complete: async (job) => {
          await ingest.settle(catalogue, job.id);
          await this.catchUp(catalogue, next);
          await catalogues.activate(next);
        },
        abandon: () => catalogues.abandon(next),
      });
    } catch (err) {
      await catalogues.abandon(next).catch(() => undefined);
      throw err;
    }
  }

  /** Brings the new collection level with images added, edited or deleted in the old one while the job ran. */
  private async catchUp(catalogue: string, next: CatalogueServices): Promise<void> {
    for (let pass = 0; pass < MAX_CATCH_UP_PASSES; pass++) {
      const current = await this.deps.catalogues.get(catalogue);
      const [before, after] = await Promise.all([allRecords(current.collection), allRecords(next.collection)]);
      const copied = new Map(after.map((r) => [r.id, r]));
      const kept = new Set(before.map((r) => r.id));
      const added = before.filter((r) => !copied.has(r.id));
      const edited = before.filter((r) => copied.has(r.id) && JSON.stringify(r.metadata) !== JSON.stringify(copied.get(r.id)!.metadata));
      const deleted = after.filter((r) => !kept.has(r.id)).map((r) => r.id);
      if (added.length + edited.length + deleted.length === 0) return;
      for (const record of added) {
        const bytes = await this.deps.images.readOriginal(record.storageKey);
        if (!bytes) continue;
        const prepared = await next.catalog.prepare(bytes, record.metadata, { createdAt: record.createdAt });
        if (prepared.row) await next.catalog.commit([prepared.row]);
      }
      for (const record of edited) await next.catalog.update(record.id, record.metadata, false);
      if (deleted.length > 0) await next.collection.delete(deleted);
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
