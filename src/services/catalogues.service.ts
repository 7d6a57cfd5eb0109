// Catalogues: named sets of images, each searched in its ACTIVE Milvus collection, sharing the
// content-addressed image store. "default" starts in the configured collection (MILVUS_COLLECTION); a
// catalogue "shoes" in "<MILVUS_COLLECTION>__shoes". A reindex builds "<that>___r<time>" for another model
// and makes it the active one (recorded in ActiveCollections); the one before stays until dropped.
// Each catalogue embeds with the model its active collection was built with. With REDIS_URL the record is
// shared: a switch, create or drop made by one process is announced, and every other one opens the
// catalogue again. While a reindex runs, every write to a catalogue is copied into the collection it builds.
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ActiveCollections, BuildingCollection, CatalogueChange } from "./active-collections.js";
import type { CatalogService, WrittenImages } from "./catalog.service.js";
import { copyImages } from "./catalogue-copy.js";
import type { EmbeddingService, ModelInfo } from "./embedding/index.js";
import type { ModelRegistry } from "./embedding/model-registry.js";
import { unavailableEmbedder } from "./embedding/unavailable-embedder.js";
import type { ImageStore } from "./image-store.service.js";
import type { ImageCollection } from "./milvus/image.collection.js";
import type { SearchService } from "./search.service.js";
import type { VectorStore } from "./vector-store.service.js";

export const DEFAULT_CATALOGUE = "default";
const NAME = /^[a-z][a-z0-9_]{0,47}$/;
const SEPARATOR = "__";
/** Splits a catalogue's later collections from the first: "<collection>___r<base36 time>". */
const GENERATION = /^(.*?)(?:___r[a-z0-9]+)?$/;

/** What serves one catalogue. */
export interface CatalogueServices {
  name: string;
  /** Its active collection. */
  collection: ImageCollection;
  /** The model that embeds its images and queries: the one its collection was built with. */
  model: ModelInfo;
  /** Why it cannot embed (searches and ingest fail with NOT_SUPPORTED) and how to fix it; undefined when it can. */
  problem?: string;
  catalog: CatalogService;
  search: SearchService;
}

/**
 * Builds a catalogue's services on its collection and model; filesInUse says whether another catalogue holds an
 * image; written is to be told of every write (CatalogService's `written`).
 */
export type CatalogueFactory = (
  collection: ImageCollection,
  embedder: EmbeddingService,
  filesInUse: (id: string) => Promise<boolean>,
  written: (change: WrittenImages) => Promise<void>,
) => { catalog: CatalogService; search: SearchService };

export interface CataloguesDeps {
  store: VectorStore;
  models: ModelRegistry;
  active: ActiveCollections;
  /** Where a copy into a reindex's collection reads the originals from. */
  images: ImageStore;
  build: CatalogueFactory;
  logger: Logger;
}

export class Catalogues {
  /** Each catalogue's services on its active collection, opened on first use and again after a change. */
  private readonly serving = new Map<string, Promise<CatalogueServices>>();
  /** Services by collection: a collection is opened (and instrumented) once, whichever catalogue record led to it. */
  private readonly opened = new Map<string, Promise<CatalogueServices>>();
  private defaultServices!: CatalogueServices;

  private constructor(private readonly deps: CataloguesDeps) {
    deps.active.onChange((change) => this.forget(change));
  }

  /** Opens the default catalogue; a collection of another dimension than MODEL's does not stop the server (see `problem`). */
  static async open(deps: CataloguesDeps): Promise<Catalogues> {
    const catalogues = new Catalogues(deps);
    catalogues.defaultServices = await catalogues.get(DEFAULT_CATALOGUE);
    return catalogues;
  }

  /** The default catalogue as it is served now (it changes when a reindex switches it). */
  get default(): CatalogueServices {
    return this.defaultServices;
  }

  /** The first Milvus collection of a catalogue. */
  collectionOf(name: string): string {
    return name === DEFAULT_CATALOGUE ? this.deps.store.baseName : `${this.deps.store.baseName}${SEPARATOR}${name}`;
  }

  /** Every catalogue, "default" first, then by name. */
  async names(): Promise<string[]> {
    const owners = new Set((await this.deps.store.collectionNames()).map((c) => this.ownerOf(c)));
    owners.delete(undefined);
    owners.delete(DEFAULT_CATALOGUE);
    return [DEFAULT_CATALOGUE, ...([...owners] as string[]).sort()];
  }

  /** Every collection of a catalogue: the active one and those kept from before a reindex, by name. */
  async collectionsOf(name: string): Promise<string[]> {
    return (await this.deps.store.collectionNames()).filter((c) => this.ownerOf(c) === name).sort();
  }

  /** A catalogue's services; NOT_FOUND when there is no such catalogue. */
  get(name: string = DEFAULT_CATALOGUE): Promise<CatalogueServices> {
    const known = this.serving.get(name);
    if (known) return known;
    const opening = (async () => {
      if (name !== DEFAULT_CATALOGUE) {
        checkName(name);
        if (!(await this.names()).includes(name)) throw new NotFoundError("Catalogue", name);
      }
      return this.openServices(name);
    })();
    this.serving.set(name, opening);
    opening.catch(() => this.serving.delete(name));
    return opening;
  }

  async create(name: string): Promise<CatalogueServices> {
    checkName(name);
    if ((await this.names()).includes(name)) throw new BadUserInputError(`The catalogue "${name}" already exists`, { field: "name" });
    const model = this.deps.models.configured;
    const collection = await this.deps.store.openCollection(this.collectionOf(name), { dimension: model.info.dimension, modelName: model.info.name });
    const services = this.serve(name, collection, model);
    this.opened.set(collection.name, Promise.resolve(services));
    this.serving.set(name, Promise.resolve(services));
    await this.deps.active.announce({ catalogue: name, kind: "created" });
    this.deps.logger.info({ catalogue: name, collection: collection.name }, "Created catalogue");
    return services;
  }

  /**
   * Drops a catalogue's collections. Image files no other catalogue uses are removed by the orphan sweep at
   * the next start (sweeping now could race an ingest writing files before their vectors).
   */
  async drop(name: string): Promise<void> {
    checkName(name);
    if (name === DEFAULT_CATALOGUE) throw new BadUserInputError("The default catalogue cannot be dropped", { field: "name" });
    if (!(await this.names()).includes(name)) throw new NotFoundError("Catalogue", name);
    await this.refuseWhileBuilding(name);
    this.serving.delete(name);
    this.forgetCollectionsOf(name);
    for (const collection of await this.collectionsOf(name)) await this.deps.store.dropCollection(collection);
    await this.deps.active.set(name, undefined, "dropped");
    this.deps.logger.info({ catalogue: name }, "Dropped catalogue");
  }

  /** Collections of a catalogue it no longer searches (kept from before a reindex, or left by one that stopped). */
  async inactiveCollections(name: string): Promise<string[]> {
    const active = (await this.get(name)).collection.name;
    const building = (await this.deps.active.building(name))?.collection;
    return (await this.collectionsOf(name)).filter((c) => c !== active && c !== building);
  }

  /** Drops a collection the catalogue no longer searches; never its active one. */
  async dropInactive(name: string, collection: string): Promise<void> {
    const services = await this.get(name);
    if (collection === services.collection.name) {
      throw new BadUserInputError(`"${collection}" is the active collection of the catalogue "${name}"; dropCatalogue drops the catalogue`, { field: "collection" });
    }
    const building = await this.deps.active.building(name);
    if (collection === building?.collection) throw new BadUserInputError(`A reindex is writing "${collection}"; cancel its job ${building.jobId} first`, { field: "collection" });
    if (!(await this.collectionsOf(name)).includes(collection)) throw new NotFoundError(`Collection of the catalogue "${name}"`, collection);
    this.opened.delete(collection);
    await this.deps.store.dropCollection(collection);
    this.deps.logger.info({ catalogue: name, collection }, "Dropped an inactive collection");
  }

  /**
   * A new, empty collection for the catalogue's images embedded by another model, and services on it (not yet
   * active). Recorded as the catalogue's building collection (one per catalogue, across processes): from then
   * on every write to the catalogue is copied into it too.
   */
  async successor(name: string, model: EmbeddingService, jobId: string): Promise<CatalogueServices> {
    const collectionName = `${this.collectionOf(name)}___r${Date.now().toString(36)}`;
    const before = await this.deps.active.claimBuilding(name, { collection: collectionName, model: model.info.name, jobId });
    if (before) throw this.buildingError(name, before);
    try {
      const collection = await this.deps.store.openCollection(collectionName, { dimension: model.info.dimension, modelName: model.info.name });
      const services = this.serve(name, collection, model);
      this.opened.set(collectionName, Promise.resolve(services));
      return services;
    } catch (err) {
      await this.deps.active.endBuilding(name, jobId);
      throw err;
    }
  }

  /** Services on the collection a reindex of the catalogue is building; undefined when none is (or it is gone). */
  async building(name: string): Promise<{ services: CatalogueServices; jobId: string } | undefined> {
    const building = await this.deps.active.building(name);
    if (!building || !(await this.deps.store.describe(building.collection))) return undefined;
    return { services: await this.servicesOn(name, building.collection), jobId: building.jobId };
  }

  /** Searches and writes go to the successor from now on, in every process; the collection before it stays (inactive). */
  async activate(next: CatalogueServices): Promise<void> {
    await this.deps.active.set(next.name, { collection: next.collection.name, model: next.model.name }, "switched");
    this.serving.set(next.name, Promise.resolve(next));
    if (next.name === DEFAULT_CATALOGUE) this.defaultServices = next;
    this.deps.logger.info({ catalogue: next.name, collection: next.collection.name, model: next.model.name }, "Catalogue switched to its reindexed collection");
  }

  /** A reindex that did not finish: its collection is dropped, the catalogue keeps the one it had. */
  async abandon(next: CatalogueServices, jobId: string): Promise<void> {
    await this.deps.active.endBuilding(next.name, jobId);
    this.opened.delete(next.collection.name);
    await this.deps.store.dropCollection(next.collection.name);
  }

  /** Stops hearing of other processes' changes. */
  close(): Promise<void> {
    return this.deps.active.close();
  }

  /** Which of these ids any catalogue holds: what the start-up orphan sweep must keep. */
  async heldIds(ids: string[]): Promise<Array<{ id: string }>> {
    const held = new Set<string>();
    for (const name of await this.names()) {
      for (const record of await (await this.get(name)).collection.get(ids)) held.add(record.id);
    }
    return [...held].map((id) => ({ id }));
  }

  private async refuseWhileBuilding(name: string): Promise<void> {
    const building = await this.deps.active.building(name);
    if (building) throw this.buildingError(name, building);
  }

  private buildingError(name: string, building: BuildingCollection): BadUserInputError {
    return new BadUserInputError(`The catalogue "${name}" is being reindexed into "${building.collection}" (job ${building.jobId}); wait for that job or cancel it`, {
      field: "catalogue",
    });
  }

  /** Another process changed a catalogue: its services are opened again from the record at next use. */
  private forget(change: CatalogueChange): void {
    if (change.kind === "all") this.serving.clear();
    else this.serving.delete(change.catalogue);
    if (change.kind === "dropped") this.forgetCollectionsOf(change.catalogue);
    if (change.kind === "all" || change.catalogue === DEFAULT_CATALOGUE) {
      this.get(DEFAULT_CATALOGUE).then(
        (services) => (this.defaultServices = services),
        (err) => this.deps.logger.error({ err }, "Could not open the default catalogue again after a change"),
      );
    }
  }

  private forgetCollectionsOf(name: string): void {
    for (const collection of this.opened.keys()) if (this.ownerOf(collection) === name) this.opened.delete(collection);
  }

  /** The catalogue a collection belongs to; undefined for collections that are not mmrag catalogues. */
  private ownerOf(collection: string): string | undefined {
    const first = GENERATION.exec(collection)![1];
    const base = this.deps.store.baseName;
    if (first === base) return DEFAULT_CATALOGUE;
    const name = first.startsWith(`${base}${SEPARATOR}`) ? first.slice(base.length + SEPARATOR.length) : undefined;
    return name && NAME.test(name) && !name.includes(SEPARATOR) ? name : undefined;
  }

  private async openServices(name: string): Promise<CatalogueServices> {
    const pointer = await this.deps.active.get(name);
    const exists = pointer && (await this.deps.store.collectionNames()).includes(pointer.collection);
    return this.servicesOn(name, exists ? pointer.collection : this.collectionOf(name));
  }

  /** Services on one collection of a catalogue, with the model that built it. */
  private servicesOn(name: string, collectionName: string): Promise<CatalogueServices> {
    const known = this.opened.get(collectionName);
    if (known) return known;
    const opening = (async () => {
      const { store, models } = this.deps;
      const shape = await store.describe(collectionName);
      const configured = models.configured.info;
      const collection = await store.openCollection(collectionName, shape ? { dimension: shape.dimension, modelName: shape.model } : { dimension: configured.dimension, modelName: configured.name });
      const { embedder, problem } = await this.modelFor(name, collection);
      return this.serve(name, collection, embedder, problem);
    })();
    this.opened.set(collectionName, opening);
    opening.catch(() => this.opened.delete(collectionName));
    return opening;
  }

  /**
   * Copies a write into the catalogue's other live collections: the one a reindex is building, and, for a write
   * that reached a collection the catalogue has just switched away from, the active one. Asked of the shared
   * record after the write, so a process that has not yet heard of a reindex or a switch still copies it.
   */
  private async copyWrite(name: string, from: ImageCollection, change: WrittenImages): Promise<void> {
    const [pointer, building] = await Promise.all([this.deps.active.get(name), this.deps.active.building(name)]);
    // The reindex's own writes stay in its collection.
    if (from.name === building?.collection) return;
    const targets = [pointer?.collection ?? this.collectionOf(name), building?.collection].filter((c): c is string => c !== undefined && c !== from.name);
    for (const target of targets) {
      const ids = change.upserted ? change.upserted.map((r) => r.id) : change.deleted;
      try {
        if (!(await this.deps.store.describe(target))) continue;
        const to = await this.servicesOn(name, target);
        await copyImages(change.upserted ?? [], await to.collection.get(ids), to, this.deps.images);
      } catch (err) {
        // A reindex cancelled meanwhile drops its collection: nothing is lost. Anything else fails the write, so it is retried.
        if (target === building?.collection && (await this.deps.active.building(name))?.collection !== target) continue;
        throw err;
      }
    }
  }

  /** The collection's own model when it can be loaded; MODEL's when the collection does not say and fits; else a refusal. */
  private async modelFor(name: string, collection: ImageCollection): Promise<{ embedder: EmbeddingService; problem?: string }> {
    const { models, logger } = this.deps;
    const configured = models.configured;
    const built = collection.model;
    let cause = "";
    if (!built || built === configured.info.name) {
      if (collection.dimension === configured.info.dimension) return { embedder: configured };
    } else {
      try {
        const model = await models.get(built);
        if (model.info.dimension === collection.dimension) {
          logger.warn(
            { catalogue: name, collection: collection.name, model: built, configured: configured.info.name },
            `The catalogue "${name}" is served by the model "${built}", which built its collection; MODEL is "${configured.info.name}". reindex(catalogue: "${name}", model: "${configured.info.name}") moves it to that model.`,
          );
          return { embedder: model };
        }
        cause = ` (the model "${built}" here now makes ${model.info.dimension}-dimensional vectors)`;
      } catch (err) {
        cause = ` (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
      }
    }
    const problem =
      `The catalogue "${name}" cannot be searched or added to: its collection "${collection.name}" holds ${collection.dimension}-dimensional vectors ` +
      `of the model "${built || "(not recorded)"}", which this server cannot load${cause}; the server runs "${configured.info.name}" (${configured.info.dimension} dimensions). ` +
      `Run the mutation reindex(catalogue: "${name}", model: "${configured.info.name}") to re-embed its stored images, or start the server with MODEL=${built || "<that model>"}.`;
    logger.warn({ catalogue: name, collection: collection.name, dimension: collection.dimension, model: built, configured: configured.info.name }, problem);
    const info: ModelInfo = { ...configured.info, name: built || "unknown", dimension: collection.dimension, warning: undefined };
    return { embedder: unavailableEmbedder(info, problem), problem };
  }

  private serve(name: string, collection: ImageCollection, embedder: EmbeddingService, problem?: string): CatalogueServices {
    const written = (change: WrittenImages) => this.copyWrite(name, collection, change);
    return { name, collection, model: embedder.info, problem, ...this.deps.build(collection, embedder, (id) => this.heldElsewhere(id, name), written) };
  }

  /** Whether a catalogue other than `except` holds the image, or is adding it right now. */
  private async heldElsewhere(id: string, except: string): Promise<boolean> {
    for (const name of await this.names()) {
      if (name === except) continue;
      const other = await this.get(name);
      if (other.catalog.isAdding(id) || (await other.collection.find(id))) return true;
    }
    return false;
  }
}

function checkName(name: string): void {
  // "__" is kept for collection names: "<collection>__<catalogue>___r<time>".
  if (!NAME.test(name) || name.includes(SEPARATOR)) {
    throw new BadUserInputError(`Catalogue names are 1 to 48 lowercase letters, digits and single "_", starting with a letter; got ${JSON.stringify(name)}`, {
      field: "catalogue",
    });
  }
}
