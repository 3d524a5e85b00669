/**
 * The Redis twin store's key layout and its round trips: reading records (head, then the body
 * where the cache lacks it) and the batched Lua check-and-set (redisCas.ts), in chunks.
 */
import type { Redis } from "ioredis";
import type { TwinRecord } from "../state/records.ts";
import { CHECK_AND_SET_MANY } from "./redisCas.ts";
import { BODY_FIELDS, HEAD_FIELDS, type RedisRecordCodec } from "./redisRecord.ts";

/** Twins per check-and-set call: large enough to spare per-command costs, small enough for one call's arguments. */
const CAS_CHUNK = 256;

/** One twin's part of a CHECK_AND_SET_MANY call. */
export interface CasWrite {
  key: string;
  expected: string;
  version: string;
  id: string;
  expectedStamp: string;
  /** field, value, field, value... */
  pairs: string[];
}

/** ioredis adds commands defined with defineCommand at run time; this type says what it added. */
type CasClient = Redis & { vvcuTwinCasMany(keyCount: number, ...args: string[]): Promise<number[]> };

export interface ReadRecord {
  version: string | null;
  current: TwinRecord | undefined;
  head: (string | null)[];
}

export class RedisTwinIo {
  readonly redis: CasClient;
  /** Every key of the MEC's twins starts with this. */
  readonly keyPrefix: string;
  /** The set of the MEC's twin ids. */
  readonly indexKey: string;
  /** The set of twins arriving by migration (redisParking.ts). */
  readonly arrivingKey: string;

  constructor(
    client: Redis,
    prefix: string,
    mec: string,
    private readonly codec: RedisRecordCodec,
  ) {
    client.defineCommand("vvcuTwinCasMany", { lua: CHECK_AND_SET_MANY });
    this.redis = client as CasClient;
    this.keyPrefix = `${prefix}:${mec}:`;
    this.indexKey = `${this.keyPrefix}twins`;
    this.arrivingKey = `${this.keyPrefix}arriving`;
  }

  /** The hash of one twin. */
  key(id: string): string {
    return `${this.keyPrefix}twin:${id}`;
  }

  /**
   * The records and their versions: the head of each in one pipeline, and the trajectories and
   * windows the cache does not hold at their stored version in a second one (rarely needed).
   * A write between the two reads changes `v`, so the check-and-set of anything built on the
   * mixed reading fails and is retried.
   */
  async readMany(ids: string[]): Promise<ReadRecord[]> {
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

  /**
   * Writes each twin whose stored state is still the expected one (and, with `refuseMarked`, that
   * is neither arriving nor released); WRITTEN, CHANGED_MEANWHILE, ARRIVING or RELEASED per twin,
   * in order.
   */
  async checkAndSetMany(writes: CasWrite[], refuseMarked: boolean): Promise<number[]> {
    if (writes.length === 0) return [];
    const calls: Promise<number[]>[] = [];
    for (let from = 0; from < writes.length; from += CAS_CHUNK) {
      calls.push(this.checkAndSetChunk(writes.slice(from, from + CAS_CHUNK), refuseMarked));
    }
    return (await Promise.all(calls)).flat();
  }

  private async checkAndSetChunk(writes: CasWrite[], refuseMarked: boolean): Promise<number[]> {
    const keys = [this.indexKey, this.arrivingKey];
    const args: string[] = [refuseMarked ? "1" : "0"];
    for (const write of writes) {
      keys.push(write.key);
      args.push(write.expected, write.version, write.id, write.expectedStamp, String(write.pairs.length));
      for (const item of write.pairs) args.push(item);
    }
    const outcomes = await this.redis.vvcuTwinCasMany(keys.length, ...keys, ...args);
    if (!Array.isArray(outcomes) || outcomes.length !== writes.length) {
      throw new Error(`twin check-and-set answered ${String(outcomes)} for ${writes.length} twins`);
    }
    return outcomes;
  }
}
