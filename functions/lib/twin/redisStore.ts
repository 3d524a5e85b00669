/**
 * The Redis twin store: one Redis per MEC in a cluster, keys under a prefix per MEC.
 *
 * Each twin is a hash (version and record fields, redisRecord.ts); a set indexes the MEC's twins. A write is a
 * Lua check-and-set on `v`, so two function instances updating one twin never lose an update:
 * the loser re-reads and re-applies its (pure) updater. `updateMany` reads all records in one
 * pipeline and writes them in a second one; only the twins that lost a race go round again.
 */
import { type ChainableCommander, Redis, type RedisOptions } from "ioredis";
import type { Twin, TwinSnapshot } from "./model.ts";
import { hydrated, snapshotOf, withVersion } from "./records.ts";
import { BODY_FIELDS, HEAD_FIELDS, type KnownRecord, RedisRecordCodec } from "./redisRecord.ts";
import type { TwinRecord, TwinStore, Updater } from "./store.ts";

/**
 * Writes the fields when the stored version is ARGV[1] ('-1': no record) and, when ARGV[4] is
 * not empty, the stored write stamp is ARGV[4] (an update built on a remembered record).
 */
const CHECK_AND_SET = `
local current = redis.call('HMGET', KEYS[1], 'v', 'w')
if (current[1] or '-1') ~= ARGV[1] then return 0 end
if ARGV[4] ~= '' and current[2] ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], unpack(ARGV, 5))
if ARGV[1] == '-1' then redis.call('SADD', KEYS[2], ARGV[3]) end
return 1
`;

/** Attempts of one update before giving up under contention (each one re-reads). */
const MAX_ATTEMPTS = 100;

/** Then field, value, field, value... */
type CasArgs = [
  key: string,
  index: string,
  expected: string,
  version: string,
  id: string,
  expectedStamp: string,
  ...fields: string[],
];
/** ioredis adds commands defined with defineCommand at run time; these types say what it added. */
type CasClient = Redis & { vvcuTwinCas(...args: CasArgs): Promise<number> };
type CasPipeline = ChainableCommander & { vvcuTwinCas(...args: CasArgs): CasPipeline };

interface ReadRecord {
  version: string | null;
  current: TwinRecord | undefined;
  head: (string | null)[];
}

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
  private readonly redis: CasClient;
  private readonly ownsClient: boolean;
  private readonly keyPrefix: string;
  private readonly indexKey: string;
  private readonly codec = new RedisRecordCodec();

  constructor(options: RedisTwinStoreOptions) {
    if (!options.client && !options.url) throw new Error("RedisTwinStore needs a url or a client");
    const redisOptions: RedisOptions = {
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 3,
    };
    const client = options.client ?? new Redis(options.url as string, redisOptions);
    this.ownsClient = options.client === undefined;
    client.defineCommand("vvcuTwinCas", { numberOfKeys: 2, lua: CHECK_AND_SET });
    this.redis = client as CasClient;
    this.keyPrefix = `${options.prefix ?? "vvcu"}:${options.mec}:`;
    this.indexKey = `${this.keyPrefix}twins`;
  }

  private key(id: string): string {
    return `${this.keyPrefix}twin:${id}`;
  }

  async get(id: string): Promise<TwinRecord | undefined> {
    const [read] = await this.readMany([id]);
    return read?.current;
  }

  async list(): Promise<Twin[]> {
    const ids = await this.redis.smembers(this.indexKey);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.key(id), "t", "j");
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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [read] = await this.readMany([id]);
      const version = read?.version ?? null;
      const current = read?.current;
      const next = updater(current);
      if (next === undefined || next === current) return current;
      const written = withVersion(next, Number(version ?? 0) + 1);
      if (await this.checkAndSet(id, version, written, current)) return written;
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
  async updateMany(updates: { id: string; updater: Updater }[]): Promise<(TwinRecord | undefined)[]> {
    const byId = new Map<string, number[]>();
    updates.forEach(({ id }, index) => {
      const indexes = byId.get(id);
      if (indexes) indexes.push(index);
      else byId.set(id, [index]);
    });
    const unknown = [...byId.keys()].filter((id) => this.codec.knownRecord(id) === undefined);
    const reads = new Map<string, ReadRecord>();
    if (unknown.length > 0) {
      const read = await this.readMany(unknown);
      for (const [position, id] of unknown.entries()) reads.set(id, read[position] as ReadRecord);
    }

    const results: (TwinRecord | undefined)[] = new Array(updates.length);
    const writes = this.redis.pipeline() as CasPipeline;
    const written: { id: string; indexes: number[]; record: TwinRecord; stamp: string }[] = [];
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
      writes.vvcuTwinCas(
        this.key(id),
        this.indexKey,
        version ?? "-1",
        String(nextVersion),
        id,
        known?.stamp ?? "",
        ...pairs,
      );
      written.push({ id, indexes, record, stamp });
    }
    const outcomes = written.length > 0 ? ((await writes.exec()) ?? []) : [];
    for (const [position, { id, record, stamp }] of written.entries()) {
      const [error, applied] = outcomes[position] ?? [new Error("no reply"), 0];
      if (error) throw error;
      if (applied === 1) this.codec.written(id, record, stamp);
      else again.push(id);
    }
    for (const id of again) {
      // Stale or lost a race: replay this twin's updaters, in order, on the stored state.
      this.codec.forgetRecord(id);
      for (const index of byId.get(id) as number[]) {
        results[index] = await this.update(id, (updates[index] as { updater: Updater }).updater);
      }
    }
    return results;
  }

  async delete(id: string): Promise<void> {
    this.codec.forget(id);
    await this.redis.multi().del(this.key(id)).srem(this.indexKey, id).exec();
  }

  async snapshot(id: string): Promise<TwinSnapshot | undefined> {
    const record = await this.get(id);
    return record ? snapshotOf(record) : undefined;
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    await this.update(snapshot.twin.id, (current) => hydrated(current, snapshot));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * The records and their versions: the head of each in one pipeline, and the trajectories and
   * windows the cache does not hold at their stored version in a second one (rarely needed).
   * A write between the two reads changes `v`, so the check-and-set of anything built on the
   * mixed reading fails and is retried.
   */
  private async readMany(ids: string[]): Promise<ReadRecord[]> {
    const heads = this.redis.pipeline();
    for (const id of ids) heads.hmget(this.key(id), ...HEAD_FIELDS);
    const headReplies = (await heads.exec()) ?? [];
    const reads: ReadRecord[] = [];
    const needBody: number[] = [];
    ids.forEach((id, position) => {
      const [error, reply] = headReplies[position] ?? [new Error("no reply from Redis"), null];
      if (error) throw error;
      const head = reply as (string | null)[];
      const decoded = this.codec.decodeHead(id, head);
      if (decoded === "body") needBody.push(position);
      reads.push({ version: head[0] ?? null, current: decoded === "body" ? undefined : decoded, head });
    });
    if (needBody.length === 0) return reads;
    const bodies = this.redis.pipeline();
    for (const position of needBody) bodies.hmget(this.key(ids[position] as string), ...BODY_FIELDS);
    const bodyReplies = (await bodies.exec()) ?? [];
    needBody.forEach((position, index) => {
      const [error, reply] = bodyReplies[index] ?? [new Error("no reply from Redis"), null];
      if (error) throw error;
      const read = reads[position] as ReadRecord;
      read.current = this.codec.decodeWithBody(
        ids[position] as string,
        read.head,
        reply as (string | null)[],
      );
    });
    return reads;
  }

  private async checkAndSet(
    id: string,
    expected: string | null,
    record: TwinRecord,
    current: TwinRecord | undefined,
  ): Promise<boolean> {
    const { pairs, stamp } = this.codec.encode(id, record, current);
    const applied = await this.redis.vvcuTwinCas(
      this.key(id),
      this.indexKey,
      expected ?? "-1",
      String(record.twin.version),
      id,
      "",
      ...pairs,
    );
    if (applied === 1) this.codec.written(id, record, stamp);
    return applied === 1;
  }
}
