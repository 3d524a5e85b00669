/**
 * Parking in Redis, shared by every replica of a MEC's twin function: a set of the arriving twins
 * (the marks the batched write checks, redisStore.ts) and a bounded list of parked events per
 * twin. Park and take are Lua scripts, so a mark taken by one replica while another parks is
 * either seen by the park (the event is taken) or not (the event is applied): never lost.
 */
import type { ChainableCommander, Redis } from "ioredis";
import type { ParkedEvent, ParkOutcome } from "./store.ts";

/** KEYS: arriving set, parked list; ARGV: twin id, event JSON, limit. 0 not arriving, 1 parked, 2 oldest dropped. */
const PARK = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
local length = redis.call('RPUSH', KEYS[2], ARGV[2])
local limit = tonumber(ARGV[3])
if length <= limit then return 1 end
redis.call('LTRIM', KEYS[2], -limit, -1)
return 2
`;

/** KEYS: arriving set, parked list; ARGV: twin id. Removes the mark, answers and deletes the list. */
const TAKE_PARKED = `
redis.call('SREM', KEYS[1], ARGV[1])
local parked = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return parked
`;

/** KEYS: arriving set, the twin's hash; ARGV: twin id. Marks arriving unless the hash exists: 1 marked, 0 not. */
const EXPECT_UNLESS = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

const PARK_OUTCOMES: Record<number, ParkOutcome> = { 0: "not-arriving", 1: "parked", 2: "parked-overflow" };

/** ioredis adds commands defined with defineCommand at run time; this type says what it added. */
type ParkingClient = Redis & {
  vvcuTwinPark(keyCount: number, ...args: string[]): Promise<number>;
  vvcuTwinTakeParked(keyCount: number, ...args: string[]): Promise<string[]>;
  vvcuTwinExpectUnless(keyCount: number, ...args: string[]): Promise<number>;
};

export class RedisParking {
  private readonly redis: ParkingClient;

  /** `arrivingKey` is the MEC's set of arriving twins; parked lists live under `${keyPrefix}parked:`. */
  constructor(
    client: Redis,
    readonly arrivingKey: string,
    private readonly keyPrefix: string,
  ) {
    client.defineCommand("vvcuTwinPark", { lua: PARK });
    client.defineCommand("vvcuTwinTakeParked", { lua: TAKE_PARKED });
    client.defineCommand("vvcuTwinExpectUnless", { lua: EXPECT_UNLESS });
    this.redis = client as ParkingClient;
  }

  private listKey(id: string): string {
    return `${this.keyPrefix}parked:${id}`;
  }

  /** Adds marking the twin arriving to a MULTI (the store ends its tombstone in the same one). */
  expectIn(multi: ChainableCommander, id: string): ChainableCommander {
    return multi.sadd(this.arrivingKey, id);
  }

  /** Marks the twin arriving unless `presentKey` (its record or tombstone) exists; answers whether it marked. */
  async expectUnless(presentKey: string, id: string): Promise<boolean> {
    return (await this.redis.vvcuTwinExpectUnless(2, this.arrivingKey, presentKey, id)) === 1;
  }

  async isArriving(id: string): Promise<boolean> {
    return (await this.redis.sismember(this.arrivingKey, id)) === 1;
  }

  async park(id: string, event: ParkedEvent, limit: number): Promise<ParkOutcome> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`park: limit must be a positive integer, not ${limit}`);
    const answer = await this.redis.vvcuTwinPark(
      2,
      this.arrivingKey,
      this.listKey(id),
      id,
      JSON.stringify(event),
      String(limit),
    );
    const outcome = PARK_OUTCOMES[answer];
    if (outcome === undefined) throw new Error(`twin ${id}: park answered ${String(answer)}`);
    return outcome;
  }

  async takeParked(id: string): Promise<ParkedEvent[]> {
    const parked = await this.redis.vvcuTwinTakeParked(2, this.arrivingKey, this.listKey(id), id);
    const events: ParkedEvent[] = [];
    for (const json of parked) {
      try {
        events.push(JSON.parse(json) as ParkedEvent);
      } catch {
        // One corrupt entry must not cost the others; the twin's state still comes from the snapshot.
      }
    }
    return events;
  }

  /** Adds clearing the mark and the parked events to a MULTI (the store deletes the twin in the same one). */
  releaseIn(multi: ChainableCommander, id: string): ChainableCommander {
    return multi.srem(this.arrivingKey, id).del(this.listKey(id));
  }
}
