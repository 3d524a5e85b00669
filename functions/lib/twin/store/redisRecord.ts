/**
 * How a twin record lies in its Redis hash: `v` version, `t` the twin without its trajectory,
 * `j` the trajectory, `a` the folded window of applied ids, `x` the rest (recent ids, running
 * figures), and `jv` / `av` the versions at which `j` / `a` were last written. The trajectory and
 * the window change only every 10th to 16th event: they are written only when they changed, and
 * read only when their version is not the one this process last saw. A full record is ~11 KB
 * of JSON; reading, parsing and writing it whole on every event was the Redis path's cost.
 *
 * `w` is the stamp of the write that made the stored record (unique per write attempt). The
 * codec remembers the last record it wrote or read of each twin with that stamp, so the next
 * update can start from it without reading: its check-and-set asks for that exact stamp, and
 * falls back to reading when another writer came in between.
 */
import { randomUUID } from "node:crypto";
import type { TrajectoryPoint, Twin } from "../../model/twin.ts";
import type { TwinRecord } from "../state/records.ts";

/** Read on every update that cannot start from the record this process last wrote (`w`: its write stamp). */
export const HEAD_FIELDS = ["v", "t", "x", "jv", "av", "w"] as const;
/** Read only when the cache does not hold them at the stored version. */
export const BODY_FIELDS = ["j", "a"] as const;

/** A record as this process last wrote or read it, and the write stamp it carries in Redis. */
export interface KnownRecord {
  record: TwinRecord;
  version: string;
  stamp: string;
}

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
  private readonly known = new Map<string, KnownRecord>();
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
    return this.remembered(id, head, this.assemble(id, twinJson, restJson, trajectory.value, window.value));
  }

  decodeWithBody(id: string, head: Fields, body: Fields): TwinRecord | undefined {
    const [, twinJson, restJson, trajectoryStamp, windowStamp] = head;
    if (twinJson === null || twinJson === undefined) return undefined;
    const trajectory = parse<TrajectoryPoint[]>(id, body[0] ?? "[]");
    const window = parse<string[]>(id, body[1] ?? "[]");
    this.store(this.trajectories, id, { stamp: trajectoryStamp ?? "", value: trajectory });
    this.store(this.windows, id, { stamp: windowStamp ?? "", value: window });
    return this.remembered(id, head, this.assemble(id, twinJson, restJson, trajectory, window));
  }

  /** The record this process last wrote or read of a twin, if any. */
  knownRecord(id: string): KnownRecord | undefined {
    return this.known.get(id);
  }

  /** Remembers a record as written (after its check-and-set succeeded). */
  written(id: string, record: TwinRecord, stamp: string): void {
    this.store(this.known, id, { record, version: String(record.twin.version), stamp });
  }

  /** A read record, remembered when it carries a write stamp (records written before stamps do not). */
  private remembered(id: string, head: Fields, record: TwinRecord): TwinRecord {
    const [version, , , , , stamp] = head;
    if (typeof version === "string" && typeof stamp === "string") {
      this.store(this.known, id, { record, version, stamp });
    } else {
      this.known.delete(id);
    }
    return record;
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
   * Field/value pairs to write (after the version is stamped on the record): the twin, the rest
   * and the write stamp always, trajectory and window with their stamp when they changed.
   */
  encode(
    id: string,
    record: TwinRecord,
    previous: TwinRecord | undefined,
  ): { pairs: string[]; stamp: string } {
    const { trajectory, ...core } = record.twin;
    const rest: Pick<TwinRecord, "recentEventIds" | "accumulators"> = {};
    if (record.recentEventIds) rest.recentEventIds = record.recentEventIds;
    if (record.accumulators) rest.accumulators = record.accumulators;
    // Unique per write attempt: two writers (or two attempts) of the same version must never
    // share a stamp, or a cache could take a losing attempt's value for the stored one.
    const stamp = `${record.twin.version}.${this.writer}.${this.writes++}`;
    const pairs = ["t", JSON.stringify(core), "x", JSON.stringify(rest), "w", stamp];
    if (!previous || trajectory !== previous.twin.trajectory) {
      pairs.push("j", JSON.stringify(trajectory), "jv", stamp);
      this.store(this.trajectories, id, { stamp, value: trajectory });
    }
    if (!previous || record.appliedEventIds !== previous.appliedEventIds) {
      pairs.push("a", JSON.stringify(record.appliedEventIds), "av", stamp);
      this.store(this.windows, id, { stamp, value: record.appliedEventIds });
    }
    return { pairs, stamp };
  }

  /** Forgets the remembered record only (it proved stale): the next update reads. */
  forgetRecord(id: string): void {
    this.known.delete(id);
  }

  forget(id: string): void {
    this.trajectories.delete(id);
    this.windows.delete(id);
    this.known.delete(id);
  }

  private store<T>(cache: Map<string, T>, id: string, entry: T): void {
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
