// Catalogue pointers shared by every API replica and worker (REDIS_URL): one Redis hash of active collections,
// one of collections a reindex is filling, and a channel on which each change is announced, so every process
// opens the new collection at once instead of at its next start. A pointer file left from running without
// REDIS_URL seeds the hash once (the first process that has one); later it is no longer read.
import type { Redis } from "ioredis";
import type { Logger } from "../../logger.js";
import { FileActiveCollections, type ActiveCollection, type ActiveCollections, type BuildingCollection, type CatalogueChange } from "../active-collections.js";
import { connectRedis, PREFIX } from "./redis.js";

const POINTERS = `${PREFIX}:catalogue-pointers`;
const BUILDING = `${PREFIX}:catalogue-building`;
const SEEDED = `${PREFIX}:catalogue-pointers-seeded`;
export const CATALOGUE_CHANNEL = `${PREFIX}:catalogues`;

/** Removes the building record only while it is still this job's, and says so on the channel. */
const END_BUILDING = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and cjson.decode(current).jobId == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', KEYS[2], ARGV[3])
end
return 0
`;

export class RedisActiveCollections implements ActiveCollections {
  private readonly listeners: Array<(change: CatalogueChange) => void> = [];

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {}

  static async open(url: string, dataDir: string, logger: Logger): Promise<RedisActiveCollections> {
    const active = new RedisActiveCollections(connectRedis(url, "catalogues", logger), connectRedis(url, "catalogue-changes", logger));
    let connected = false;
    active.subscriber.on("message", (_channel, message) => active.emit(JSON.parse(message) as CatalogueChange));
    // ioredis subscribes again after a reconnect; what was announced meanwhile is lost, so everything is re-read.
    active.subscriber.on("ready", () => {
      if (connected) active.emit({ kind: "all" });
      connected = true;
    });
    try {
      await active.subscriber.subscribe(CATALOGUE_CHANNEL);
      await active.seedFrom(FileActiveCollections.fileIn(dataDir), logger);
    } catch (err) {
      await active.close();
      throw err;
    }
    return active;
  }

  async get(catalogue: string): Promise<ActiveCollection | undefined> {
    const pointer = await this.redis.hget(POINTERS, catalogue);
    return pointer ? (JSON.parse(pointer) as ActiveCollection) : undefined;
  }

  async set(catalogue: string, pointer: ActiveCollection | undefined, kind: "switched" | "dropped"): Promise<void> {
    const multi = this.redis.multi();
    if (pointer) multi.hset(POINTERS, catalogue, JSON.stringify(pointer));
    else multi.hdel(POINTERS, catalogue);
    await multi.hdel(BUILDING, catalogue).publish(CATALOGUE_CHANNEL, JSON.stringify({ catalogue, kind } satisfies CatalogueChange)).exec();
  }

  async building(catalogue: string): Promise<BuildingCollection | undefined> {
    const building = await this.redis.hget(BUILDING, catalogue);
    return building ? (JSON.parse(building) as BuildingCollection) : undefined;
  }

  async claimBuilding(catalogue: string, building: BuildingCollection): Promise<BuildingCollection | undefined> {
    if (await this.redis.hsetnx(BUILDING, catalogue, JSON.stringify(building))) {
      await this.announce({ catalogue, kind: "building" });
      return undefined;
    }
    // Ended between the two calls: that one is gone, so this one may go ahead.
    return (await this.building(catalogue)) ?? this.claimBuilding(catalogue, building);
  }

  async endBuilding(catalogue: string, jobId: string): Promise<void> {
    await this.redis.eval(END_BUILDING, 2, BUILDING, CATALOGUE_CHANNEL, catalogue, jobId, JSON.stringify({ catalogue, kind: "abandoned" } satisfies CatalogueChange));
  }

  async announce(change: CatalogueChange): Promise<void> {
    await this.redis.publish(CATALOGUE_CHANNEL, JSON.stringify(change));
  }

  onChange(listener: (change: CatalogueChange) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  private emit(change: CatalogueChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /**
   * A deployment that ran without REDIS_URL keeps its switches: the first process started with a pointer file
   * copies it into Redis (never over a pointer Redis has). Files seen later are only compared and warned about.
   */
  private async seedFrom(file: string, logger: Logger): Promise<void> {
    const pointers = await FileActiveCollections.read(file);
    if (Object.keys(pointers).length === 0) return;
    if (await this.redis.set(SEEDED, new Date().toISOString(), "NX")) {
      const multi = this.redis.multi();
      for (const [catalogue, pointer] of Object.entries(pointers)) multi.hsetnx(POINTERS, catalogue, JSON.stringify(pointer));
      await multi.exec();
      logger.info({ file, catalogues: Object.keys(pointers) }, "Copied the catalogue pointers of this data folder into Redis; from now on they live there and the file is not read");
      return;
    }
    const shared = await this.redis.hgetall(POINTERS);
    const differing = Object.keys(pointers).filter((catalogue) => shared[catalogue] !== JSON.stringify(pointers[catalogue]));
    if (differing.length > 0) {
      logger.warn(
        { file, catalogues: differing },
        `${file} names other active collections than Redis for ${differing.join(", ")}; with REDIS_URL the pointers in Redis are used (${POINTERS}) and the file is not read`,
      );
    }
  }
}
