/**
 * How a twin record lies in its Redis hash: `v` version, `t` the twin without its trajectory,
 * `j` the trajectory, `a` the folded window of applied ids, `x` the rest (recent ids, running
 * figures), and `jv` / `av` the versions at which `j` / `a` were last written. The trajectory and
 * the window change only every 10th to 16th event: they are written only when they changed, and
 * read only when their version is not the one this process last saw. A full record is ~11 KB
 * of JSON; reading, parsing and writing it whole on every event was the Redis path's cost.
 */
import { randomUUID } from "node:crypto";
import type { TrajectoryPoint, Twin } from "./model.ts";
import type { TwinRecord } from "./store.ts";

/** Read on every update. */
export const HEAD_FIELDS = ["v", "t", "x", "jv", "av"] as const;
/** Read only when the cache does not hold them at the stored version. */
export const BODY_FIELDS = ["j", "a"] as const;

interface Parsed<T> {
  /** `jv` / `av`: the version the value was written at. */
  stamp: string;
  value: T;
}

type Fields = (string | null | undefined)[];

/** Entries beyond this are dropped all at once (a MEC hosts far fewer twins). */
const CACHE_LIMIT = 100_000;

export class RedisRecordCodec {
  private readonly trajectories = new Map<string, Parsed<TrajectoryPoint[]>>();
  private readonly windows = new Map<string, Parsed<string[]>>();
  private readonly writer = randomUUID();
  private writes = 0;

  /**
   * The record from its head fields (HEAD_FIELDS order), with the body from the cache; "body"
   * when the body must be read (then call `decodeWithBody`); undefined when there is no record.
   */
  decodeHead(id: string, head: Fields): TwinRecord | undefined | "body" {
    const [, twinJson, restJson, trajectoryStamp, windowStamp] = head;
    if (twinJson === null || twinJson === undefined) return undefined;
    const trajectory = this.trajectories.get(id);
    const window = this.windows.get(id);
    if (trajectory?.stamp !== (trajectoryStamp ?? "") || window?.stamp !== (windowStamp ?? "")) return "body";
    return this.assemble(id, twinJson, restJson, trajectory.value, window.value);
  }

  decodeWithBody(id: string, head: Fields, body: Fields): TwinRecord | undefined {
    const [, twinJson, restJson, trajectoryStamp, windowStamp] = head;
    if (twinJson === null || twinJson === undefined) return undefined;
    const trajectory = parse<TrajectoryPoint[]>(id, body[0] ?? "[]");
    const window = parse<string[]>(id, body[1] ?? "[]");
    this.store(this.trajectories, id, { stamp: trajectoryStamp ?? "", value: trajectory });
    this.store(this.windows, id, { stamp: windowStamp ?? "", value: window });
    return this.assemble(id, twinJson, restJson, trajectory, window);
  }

  decodeTwin(id: string, twinJson: string, trajectoryJson: string | null | undefined): Twin {
    const twin = parse<Twin>(id, twinJson);
    twin.trajectory = parse<TrajectoryPoint[]>(id, trajectoryJson ?? "[]");
    return twin;
  }

  private assemble(
    id: string,
    twinJson: string,
    restJson: string | null | undefined,
    trajectory: TrajectoryPoint[],
    window: string[],
  ): TwinRecord {
    const twin = parse<Twin>(id, twinJson);
    twin.trajectory = trajectory;
    const rest = parse<Pick<TwinRecord, "recentEventIds" | "accumulators">>(id, restJson ?? "{}");
    const record: TwinRecord = { twin, appliedEventIds: window };
    if (rest.recentEventIds) record.recentEventIds = rest.recentEventIds;
    if (rest.accumulators) record.accumulators = rest.accumulators;
    return record;
  }

  /**
   * Field/value pairs to write (after the version is stamped on the record): the twin and the
   * rest always, trajectory and window with their version when they changed.
   */
  encode(id: string, record: TwinRecord, previous: TwinRecord | undefined): string[] {
    const { trajectory, ...core } = record.twin;
    const rest: Pick<TwinRecord, "recentEventIds" | "accumulators"> = {};
    if (record.recentEventIds) rest.recentEventIds = record.recentEventIds;
    if (record.accumulators) rest.accumulators = record.accumulators;
    const pairs = ["t", JSON.stringify(core), "x", JSON.stringify(rest)];
    // Unique per write attempt: two writers (or two attempts) of the same version must never
    // share a stamp, or a cache could take a losing attempt's value for the stored one.
    const stamp = `${record.twin.version}.${this.writer}.${this.writes++}`;
    if (!previous || trajectory !== previous.twin.trajectory) {
      pairs.push("j", JSON.stringify(trajectory), "jv", stamp);
      this.store(this.trajectories, id, { stamp, value: trajectory });
    }
    if (!previous || record.appliedEventIds !== previous.appliedEventIds) {
      pairs.push("a", JSON.stringify(record.appliedEventIds), "av", stamp);
      this.store(this.windows, id, { stamp, value: record.appliedEventIds });
    }
    return pairs;
  }

  forget(id: string): void {
    this.trajectories.delete(id);
    this.windows.delete(id);
  }

  private store<T>(cache: Map<string, Parsed<T>>, id: string, entry: Parsed<T>): void {
    if (cache.size >= CACHE_LIMIT && !cache.has(id)) cache.clear();
    cache.set(id, entry);
  }
}

function parse<T>(id: string, json: string): T {
  try {
    return JSON.parse(json) as T;
  } catch {
    throw new Error(`twin ${id}: the stored record is not JSON; delete the key to recover`);
  }
}
