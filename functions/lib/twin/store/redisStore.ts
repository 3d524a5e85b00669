/**
 * The Redis twin store: one Redis per MEC in a cluster, keys under a prefix per MEC.
 *
 * Each twin is a hash (version and record fields, redisRecord.ts); a set indexes the MEC's twins. A write is a
 * Lua check-and-set on `v` (and on the write stamp `w` when the update started from a remembered
 * record), so two function instances updating one twin never lose an update: the loser re-reads
 * and re-applies its (pure) updater. `updateMany` reads only the twins this process does not
 * hold as last written, and writes a batch with a few script calls; only the twins that turned
 * out stale or lost a race go round again. Keys, reads and the script calls are in redisTwinIo.ts.
 *
 * A released twin's hash is replaced by its tombstone, a hash of the one field RELEASED_FIELD that
 * expires after the grace period: the check-and-set reads it with the version at no extra cost.
 */
import { type ChainableCommander, Redis, type RedisOptions } from "ioredis";
import type { Twin, TwinSnapshot } from "../../model/twin.ts";
import { hydrated, snapshotOf, type TwinRecord, withVersion } from "../state/records.ts";
import { RedisHistoryStore } from "./historyStore.ts";
import { ARRIVING, CHANGED_MEANWHILE, RELEASED, RELEASED_FIELD, WRITTEN } from "./redisCas.ts";
import { RedisParking } from "./redisParking.ts";
import { type KnownRecord, RedisRecordCodec } from "./redisRecord.ts";
import { type CasWrite, type ReadRecord, RedisTwinIo } from "./redisTwinIo.ts";
import {
  type ParkedEvent,
  type ParkOutcome,
  releasedGraceMs,
  type TwinStore,
  type TwinUpdate,
  type Updater,
} from "./store.ts";

/** Why a twin's update was not written: it is arriving by migration, or was released here. */
type Refusal = "arriving" | "released";

/** Attempts of one update before giving up under contention (each one re-reads). */
const MAX_ATTEMPTS = 100;

export interface RedisTwinStoreOptions {
  /** redis:// or rediss:// (TLS, verified) URL; or pass `client`. */
  url?: string;
  client?: Redis;
  /** MEC whose twins this store holds: keys live under `${prefix}:${mec}:`. */
  mec: string;
  prefix?: string;
  /** Timeout of every command. */
  commandTimeoutMs?: number;
}

export class RedisTwinStore implements TwinStore {
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly codec = new RedisRecordCodec();
  private readonly io: RedisTwinIo;
  private readonly parking: RedisParking;

  constructor(options: RedisTwinStoreOptions) {
    if (!options.client && !options.url) throw new Error("RedisTwinStore needs a url or a client");
    const redisOptions: RedisOptions = {
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 3,
    };
    const client = options.client ?? new Redis(options.url as string, redisOptions);
    this.ownsClient = options.client === undefined;
    this.redis = client;
    this.io = new RedisTwinIo(client, options.prefix ?? "vvcu", options.mec, this.codec);
    this.parking = new RedisParking(client, this.io.arrivingKey, this.io.keyPrefix);
  }

  /** The twins' histories in the same Redis, beside their records; kept `retainMs` after the last write. */
  historyStore(retainMs: number): RedisHistoryStore {
    return new RedisHistoryStore({ client: this.redis, keyPrefix: this.io.keyPrefix, retainMs });
  }

  async get(id: string): Promise<TwinRecord | undefined> {
    const [read] = await this.io.readMany([id]);
    return read?.current;
  }

  async list(): Promise<Twin[]> {
    const ids = await this.redis.smembers(this.io.indexKey);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.io.key(id), "t", "j");
    const replies = (await pipeline.exec()) ?? [];
    const twins: Twin[] = [];
    replies.forEach(([error, reply], index) => {
      if (error) throw error;
      const [twinJson, trajectoryJson] = reply as (string | null)[];
      if (typeof twinJson === "string") {
        twins.push(this.codec.decodeTwin(ids[index] as string, twinJson, trajectoryJson));
      }
    });
    return twins;
  }

  async update(id: string, updater: Updater): Promise<TwinRecord | undefined> {
    return (await this.updateOne(id, updater, false)) as TwinRecord | undefined;
  }

  /** `update`; with `refuseMarked`, a twin arriving or released is not written and answers why. */
  private async updateOne(
    id: string,
    updater: Updater,
    refuseMarked: boolean,
  ): Promise<TwinRecord | undefined | Refusal> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [read] = await this.io.readMany([id]);
      const version = read?.version ?? null;
      const current = read?.current;
      const next = updater(current);
      if (next === undefined || next === current) return current;
      const written = withVersion(next, Number(version ?? 0) + 1);
      const outcome = await this.checkAndSet(id, version, written, current, refuseMarked);
      if (outcome === WRITTEN) return written;
      if (outcome === ARRIVING) return "arriving";
      if (outcome === RELEASED) {
        this.codec.forget(id);
        return "released";
      }
      this.codec.forgetRecord(id);
      // Lost a race: back off a random while, so a crowd of writers of one twin spreads out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new Error(`twin ${id}: update lost ${MAX_ATTEMPTS} races in a row; giving up`);
  }

  /**
   * One pipeline of check-and-sets where this process holds the twin as last written or read
   * (the common case: each twin's events go to one instance), else a read first. A twin whose
   * remembered record turned out stale, or whose write lost a race, goes round again by `update`.
   */
  async updateMany(updates: TwinUpdate[]): Promise<(TwinRecord | undefined)[]> {
    const byId = new Map<string, number[]>();
    updates.forEach(({ id }, index) => {
      const indexes = byId.get(id);
      if (indexes) indexes.push(index);
      else byId.set(id, [index]);
    });
    const unknown = [...byId.keys()].filter((id) => this.codec.knownRecord(id) === undefined);
    const reads = new Map<string, ReadRecord>();
    if (unknown.length > 0) {
      const read = await this.io.readMany(unknown);
      for (const [position, id] of unknown.entries()) reads.set(id, read[position] as ReadRecord);
    }

    const results: (TwinRecord | undefined)[] = new Array(updates.length);
    const writes: CasWrite[] = [];
    const written: { id: string; record: TwinRecord; stamp: string }[] = [];
    const again: string[] = [];
    for (const [id, indexes] of byId) {
      const read = reads.get(id);
      const known = read ? undefined : this.codec.knownRecord(id);
      const version = read ? read.version : (known as KnownRecord).version;
      const current = read ? read.current : (known as KnownRecord).record;
      const nextVersion = Number(version ?? 0) + 1;
      let record = current;
      for (const index of indexes) {
        const next = (updates[index] as { updater: Updater }).updater(record);
        if (next !== undefined && next !== record) record = withVersion(next, nextVersion);
        results[index] = record;
      }
      if (record === current || record === undefined) {
        // "No change" said of a remembered record must be checked against the stored one.
        if (known) again.push(id);
        continue;
      }
      const { pairs, stamp } = this.codec.encode(id, record, current);
      writes.push({
        key: this.io.key(id),
        expected: version ?? "-1",
        version: String(nextVersion),
        id,
        expectedStamp: known?.stamp ?? "",
        pairs,
      });
      written.push({ id, record, stamp });
    }
    const outcomes = await this.io.checkAndSetMany(writes, true);
    for (const [position, { id, record, stamp }] of written.entries()) {
      const outcome = outcomes[position];
      if (outcome === WRITTEN) this.codec.written(id, record, stamp);
      else if (outcome === ARRIVING) markRefused(updates, byId.get(id) as number[], results, "arriving");
      else if (outcome === RELEASED) {
        this.codec.forget(id);
        markRefused(updates, byId.get(id) as number[], results, "released");
      } else again.push(id);
    }
    for (const id of again) {
      // Stale or lost a race: replay this twin's updaters, in order, on the stored state.
      this.codec.forgetRecord(id);
      const indexes = byId.get(id) as number[];
      for (const [position, index] of indexes.entries()) {
        const result = await this.updateOne(id, (updates[index] as TwinUpdate).updater, true);
        if (result === "arriving" || result === "released") {
          markRefused(updates, indexes.slice(position), results, result);
          break;
        }
        results[index] = result;
      }
    }
    return results;
  }

  async delete(id: string): Promise<void> {
    this.codec.forget(id);
    await this.redis.multi().del(this.io.key(id)).srem(this.io.indexKey, id).exec();
  }

  async snapshot(id: string): Promise<TwinSnapshot | undefined> {
    const record = await this.get(id);
    return record ? snapshotOf(record) : undefined;
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    await this.update(snapshot.twin.id, (current) => hydrated(current, snapshot));
  }

  async expect(id: string): Promise<void> {
    // The mark and the end of any tombstone at once: the twin migrates back.
    const multi = this.redis.multi().hdel(this.io.key(id), RELEASED_FIELD);
    await execAll(this.parking.expectIn(multi, id), `expect ${id}`);
  }

  expectUnlessPresent(id: string): Promise<boolean> {
    // The twin's hash is its record or its tombstone: either one means present.
    return this.parking.expectUnless(this.io.key(id), id);
  }

  isArriving(id: string): Promise<boolean> {
    return this.parking.isArriving(id);
  }

  park(id: string, event: ParkedEvent, limit: number): Promise<ParkOutcome> {
    return this.parking.park(id, event, limit);
  }

  takeParked(id: string): Promise<ParkedEvent[]> {
    return this.parking.takeParked(id);
  }

  async release(id: string, graceMs?: number): Promise<void> {
    const grace = releasedGraceMs(graceMs);
    this.codec.forget(id);
    const key = this.io.key(id);
    const multi = this.parking.releaseIn(this.redis.multi(), id).del(key).srem(this.io.indexKey, id);
    if (grace > 0) multi.hset(key, RELEASED_FIELD, "1").pexpire(key, grace);
    await execAll(multi, `release ${id}`);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async checkAndSet(
    id: string,
    expected: string | null,
    record: TwinRecord,
    current: TwinRecord | undefined,
    refuseMarked: boolean,
  ): Promise<number> {
    const { pairs, stamp } = this.codec.encode(id, record, current);
    const [outcome] = await this.io.checkAndSetMany(
      [
        {
          key: this.io.key(id),
          expected: expected ?? "-1",
          version: String(record.twin.version),
          id,
          expectedStamp: "",
          pairs,
        },
      ],
      refuseMarked,
    );
    if (outcome === WRITTEN) this.codec.written(id, record, stamp);
    return outcome ?? CHANGED_MEANWHILE;
  }
}

/** Flags the updates at `indexes` as refused (not written, arriving or released); their results are undefined. */
function markRefused(
  updates: TwinUpdate[],
  indexes: number[],
  results: (TwinRecord | undefined)[],
  refusal: Refusal,
): void {
  for (const index of indexes) {
    (updates[index] as TwinUpdate)[refusal] = true;
    results[index] = undefined;
  }
}

/** Runs a MULTI and throws the first failure of any of its commands (ioredis answers them per command). */
async function execAll(multi: ChainableCommander, what: string): Promise<void> {
  const replies = await multi.exec();
  if (replies === null) throw new Error(`twin store: ${what} was aborted`);
  for (const [error] of replies) if (error) throw error;
}
