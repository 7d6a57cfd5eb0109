// Catalogues: named sets of images, each its own Milvus collection, sharing the model and the
// content-addressed image store. "default" is the configured collection (MILVUS_COLLECTION); a catalogue
// "shoes" lives in "<MILVUS_COLLECTION>__shoes".
import { BadUserInputError, NotFoundError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { CatalogService } from "./catalog.service.js";
import type { ImageCollection } from "./milvus/image.collection.js";
import type { SearchService } from "./search.service.js";
import type { VectorStore } from "./vector-store.service.js";

export const DEFAULT_CATALOGUE = "default";
const NAME = /^[a-z][a-z0-9_]{0,47}$/;
const SEPARATOR = "__";

/** What serves one catalogue. */
export interface CatalogueServices {
  name: string;
  collection: ImageCollection;
  catalog: CatalogService;
  search: SearchService;
}

/** Builds a catalogue's services on its collection; filesInUse says whether another catalogue holds an image. */
export type CatalogueFactory = (collection: ImageCollection, filesInUse: (id: string) => Promise<boolean>) => { catalog: CatalogService; search: SearchService };

export class Catalogues {
  private readonly serving = new Map<string, Promise<CatalogueServices>>();
  readonly default: CatalogueServices;

  constructor(
    private readonly store: VectorStore,
    private readonly build: CatalogueFactory,
    private readonly logger: Logger,
  ) {
    this.default = this.serve(DEFAULT_CATALOGUE, store.images);
    this.serving.set(DEFAULT_CATALOGUE, Promise.resolve(this.default));
  }

  /** The Milvus collection a catalogue lives in. */
  collectionOf(name: string): string {
    return name === DEFAULT_CATALOGUE ? this.store.images.name : `${this.store.images.name}${SEPARATOR}${name}`;
  }

  /** Every catalogue, "default" first, then by name. */
  async names(): Promise<string[]> {
    const prefix = `${this.store.images.name}${SEPARATOR}`;
    const others = (await this.store.collectionNames())
      .filter((c) => c.startsWith(prefix) && NAME.test(c.slice(prefix.length)))
      .map((c) => c.slice(prefix.length))
      .sort();
    return [DEFAULT_CATALOGUE, ...others];
  }

  /** A catalogue's services; NOT_FOUND when there is no such catalogue. */
  get(name: string = DEFAULT_CATALOGUE): Promise<CatalogueServices> {
    const known = this.serving.get(name);
    if (known) return known;
    const opening = (async () => {
      checkName(name);
      if (!(await this.names()).includes(name)) throw new NotFoundError("Catalogue", name);
      return this.serve(name, await this.store.openCollection(this.collectionOf(name)));
    })();
    this.serving.set(name, opening);
    opening.catch(() => this.serving.delete(name));
    return opening;
  }

  async create(name: string): Promise<CatalogueServices> {
    checkName(name);
    if ((await this.names()).includes(name)) throw new BadUserInputError(`The catalogue "${name}" already exists`, { field: "name" });
    const services = this.serve(name, await this.store.openCollection(this.collectionOf(name)));
    this.serving.set(name, Promise.resolve(services));
    this.logger.info({ catalogue: name, collection: services.collection.name }, "Created catalogue");
    return services;
  }

  /**
   * Drops a catalogue's collection. Image files no other catalogue uses are removed by the orphan sweep at
   * the next start (sweeping now could race an ingest writing files before their vectors).
   */
  async drop(name: string): Promise<void> {
    checkName(name);
    if (name === DEFAULT_CATALOGUE) throw new BadUserInputError("The default catalogue cannot be dropped", { field: "name" });
    if (!(await this.names()).includes(name)) throw new NotFoundError("Catalogue", name);
    this.serving.delete(name);
    await this.store.dropCollection(this.collectionOf(name));
    this.logger.info({ catalogue: name }, "Dropped catalogue");
  }

  /** Which of these ids any catalogue holds: what the start-up orphan sweep must keep. */
  async heldIds(ids: string[]): Promise<Array<{ id: string }>> {
    const held = new Set<string>();
    for (const name of await this.names()) {
      for (const record of await (await this.get(name)).collection.get(ids)) held.add(record.id);
    }
    return [...held].map((id) => ({ id }));
  }

  private serve(name: string, collection: ImageCollection): CatalogueServices {
    return { name, collection, ...this.build(collection, (id) => this.heldElsewhere(id, name)) };
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
  if (!NAME.test(name)) {
    throw new BadUserInputError(`Catalogue names are 1 to 48 lowercase letters, digits and "_", starting with a letter; got ${JSON.stringify(name)}`, {
      field: "catalogue",
    });
  }
}
