/**
 * How a twin record lies in its Redis hash: `v` version, `t` the twin without its trajectory,
 * `j` the trajectory, `a` the folded window of applied ids, `x` the rest (recent ids, running
 * figures). The trajectory and the window change only every 10th to 16th event, so they are
 * written only when they changed, and parsed only when the stored text is not the one last seen:
 * a full record is ~11 KB of JSON, and parsing and writing it whole on every event was the Redis
 * path's cost.
 */
import type { TrajectoryPoint, Twin } from "./model.ts";
import type { TwinRecord } from "./store.ts";

export const RECORD_FIELDS = ["v", "t", "j", "a", "x"] as const;

interface Parsed<T> {
  json: string;
  value: T;
}

/** Entries beyond this are dropped all at once (a MEC hosts far fewer twins). */
const CACHE_LIMIT = 100_000;

export class RedisRecordCodec {
  private readonly trajectories = new Map<string, Parsed<TrajectoryPoint[]>>();
  private readonly windows = new Map<string, Parsed<string[]>>();

  /** The record from its hash fields (in RECORD_FIELDS order); undefined when there is none. */
  decode(id: string, fields: (string | null | undefined)[]): TwinRecord | undefined {
    const [, twinJson, trajectoryJson, windowJson, restJson] = fields;
    if (twinJson === null || twinJson === undefined) return undefined;
    const twin = this.decodeTwin(id, twinJson, trajectoryJson);
    const rest = parse<Pick<TwinRecord, "recentEventIds" | "accumulators">>(id, restJson ?? "{}");
    const record: TwinRecord = { twin, appliedEventIds: this.cached(this.windows, id, windowJson ?? "[]") };
    if (rest.recentEventIds) record.recentEventIds = rest.recentEventIds;
    if (rest.accumulators) record.accumulators = rest.accumulators;
    return record;
  }

  decodeTwin(id: string, twinJson: string, trajectoryJson: string | null | undefined): Twin {
    const twin = parse<Twin>(id, twinJson);
    twin.trajectory = this.cached(this.trajectories, id, trajectoryJson ?? "[]");
    return twin;
  }

  /** Field/value pairs to write: the twin and the rest always, trajectory and window when changed. */
  encode(id: string, record: TwinRecord, previous: TwinRecord | undefined): string[] {
    const { trajectory, ...core } = record.twin;
    const rest: Pick<TwinRecord, "recentEventIds" | "accumulators"> = {};
    if (record.recentEventIds) rest.recentEventIds = record.recentEventIds;
    if (record.accumulators) rest.accumulators = record.accumulators;
    const pairs = ["t", JSON.stringify(core), "x", JSON.stringify(rest)];
    if (!previous || trajectory !== previous.twin.trajectory) {
      pairs.push("j", this.remember(this.trajectories, id, trajectory));
    }
    if (!previous || record.appliedEventIds !== previous.appliedEventIds) {
      pairs.push("a", this.remember(this.windows, id, record.appliedEventIds));
    }
    return pairs;
  }

  forget(id: string): void {
    this.trajectories.delete(id);
    this.windows.delete(id);
  }

  private cached<T>(cache: Map<string, Parsed<T>>, id: string, json: string): T {
    const known = cache.get(id);
    if (known && known.json === json) return known.value;
    const value = parse<T>(id, json);
    this.store(cache, id, { json, value });
    return value;
  }

  private remember<T>(cache: Map<string, Parsed<T>>, id: string, value: T): string {
    const json = JSON.stringify(value);
    this.store(cache, id, { json, value });
    return json;
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
