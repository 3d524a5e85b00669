/**
 * A twin's history: a bounded, time-ordered ring of samples (position, speed, heading, message
 * rates), at most one per `intervalMs` (faster reports are downsampled: the first of each
 * interval is kept), spanning `durationMs`; and, at a lower rate, what the station perceives
 * (a CPM's objects, as RSUs send). Samples are columns of typed arrays that grow by doubling up
 * to the capacity, so appending makes no object and a short-lived twin holds little.
 *
 * Appending is idempotent by time: a sample not later than the interval after the last one is
 * refused, so replaying events (a retried write, a migration's parked events) adds nothing twice.
 */
import { MESSAGE_TYPES } from "../../cits/types.ts";
import type {
  HistoryRow,
  HistorySample,
  ObjectsRecord,
  TwinHistoryData,
  TwinHistoryState,
} from "../../model/history.ts";
import type { PerceivedObjectState, Twin } from "../../model/twin.ts";

export type { HistoryRow, HistorySample, ObjectsRecord, TwinHistoryData, TwinHistoryState };

export interface HistoryOptions {
  /** How far back samples are kept. */
  durationMs: number;
  /** At most one sample per this many ms. */
  intervalMs: number;
  /** At most one record of perceived objects per this many ms. */
  objectsIntervalMs: number;
}

const FIRST_CAPACITY = 16;

/** Samples and object records a history holds at most: its duration over its interval, and one. */
export function historyCapacity(options: HistoryOptions): { samples: number; objects: number } {
  return {
    samples: Math.max(1, Math.ceil(options.durationMs / options.intervalMs) + 1),
    objects: Math.max(1, Math.ceil(options.durationMs / options.objectsIntervalMs) + 1),
  };
}
const RATES = MESSAGE_TYPES.length;
/** Positions as whole 1e-7 degrees (the CAM's own unit): exact to a centimetre in four bytes. */
const DEGREE_UNITS = 1e7;
/** The empty value of an Int32 column (no position). */
const NO_POSITION = -0x80000000;

export class TwinHistory {
  readonly capacity: number;
  readonly objectsCapacity: number;
  private size = 0;
  private start = 0;
  private times = new Float64Array(0);
  private lats = new Int32Array(0);
  private lons = new Int32Array(0);
  private speeds = new Float32Array(0);
  private headings = new Float32Array(0);
  private rates = new Float32Array(0);
  private objectRecords: ObjectsRecord[] = [];

  constructor(readonly options: HistoryOptions) {
    ({ samples: this.capacity, objects: this.objectsCapacity } = historyCapacity(options));
  }

  get length(): number {
    return this.size;
  }

  get lastTimeMs(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : (this.times[this.slot(this.size - 1)] as number);
  }

  /** Whether a sample at `timeMs` would be kept (the interval since the last one has passed). */
  isDue(timeMs: number): boolean {
    return this.size === 0 || timeMs >= this.lastTimeMs + this.options.intervalMs;
  }

  /** Adds the twin's state as of `timeMs` when the interval since the last sample has passed. */
  record(twin: Twin, timeMs: number): boolean {
    const added = this.append(timeMs, twin.position, twin.speed, twin.heading, twin.messageRates);
    if (twin.perceivedObjects.length > 0) this.recordObjects(twin.perceivedObjects, timeMs);
    return added;
  }

  append(
    timeMs: number,
    position: { lat: number; lon: number } | undefined,
    speed: number | undefined,
    heading: number | undefined,
    messageRates: Record<string, number>,
  ): boolean {
    if (this.size > 0 && timeMs < this.lastTimeMs + this.options.intervalMs) return false;
    const slot = this.nextSlot();
    this.times[slot] = timeMs;
    this.lats[slot] = position ? Math.round(position.lat * DEGREE_UNITS) : NO_POSITION;
    this.lons[slot] = position ? Math.round(position.lon * DEGREE_UNITS) : NO_POSITION;
    this.speeds[slot] = speed ?? Number.NaN;
    this.headings[slot] = heading ?? Number.NaN;
    for (let i = 0; i < RATES; i++)
      this.rates[slot * RATES + i] = messageRates[MESSAGE_TYPES[i] as string] ?? Number.NaN;
    return true;
  }

  private recordObjects(objects: readonly PerceivedObjectState[], timeMs: number): void {
    const last = this.objectRecords.at(-1);
    if (last && timeMs < last.timeMs + this.options.objectsIntervalMs) return;
    this.objectRecords.push({
      timeMs,
      objects: objects.map(({ objectId, lat, lon, classification }) =>
        classification === undefined ? { objectId, lat, lon } : { objectId, lat, lon, classification },
      ),
    });
    if (this.objectRecords.length > this.objectsCapacity) this.objectRecords.shift();
  }

  /** The samples from `sinceMs` to `untilMs` (both included), oldest first. */
  range(sinceMs: number, untilMs: number): TwinHistoryData {
    const samples: HistorySample[] = [];
    for (let i = 0; i < this.size; i++) {
      const slot = this.slot(i);
      const timeMs = this.times[slot] as number;
      if (timeMs < sinceMs) continue;
      if (timeMs > untilMs) break;
      samples.push(this.sampleAt(slot));
    }
    const objects = this.objectRecords
      .filter((record) => record.timeMs >= sinceMs && record.timeMs <= untilMs)
      .map((record) => ({ time: new Date(record.timeMs).toISOString(), objects: record.objects }));
    return { samples, objects };
  }

  /** Everything kept, as a snapshot carries it. */
  state(): TwinHistoryState {
    const rows: HistoryRow[] = [];
    for (let i = 0; i < this.size; i++) rows.push(this.rowAt(this.slot(i)));
    return { rows, objects: this.objectRecords.map((record) => ({ ...record })) };
  }

  /** The newest sample as a row (what a store appends), or undefined when empty. */
  lastRow(): HistoryRow | undefined {
    return this.size === 0 ? undefined : this.rowAt(this.slot(this.size - 1));
  }

  lastObjects(): ObjectsRecord | undefined {
    return this.objectRecords.at(-1);
  }

  /** Adds kept rows and objects (oldest first) to what this history holds, in time order. */
  restore(state: TwinHistoryState): void {
    for (const row of state.rows) {
      const [timeMs, lat, lon, speed, heading, ...rates] = row;
      if (typeof timeMs !== "number" || (this.size > 0 && timeMs <= this.lastTimeMs)) continue;
      const slot = this.nextSlot();
      this.times[slot] = timeMs;
      this.lats[slot] = typeof lat === "number" ? Math.round(lat * DEGREE_UNITS) : NO_POSITION;
      this.lons[slot] = typeof lon === "number" ? Math.round(lon * DEGREE_UNITS) : NO_POSITION;
      this.speeds[slot] = speed ?? Number.NaN;
      this.headings[slot] = heading ?? Number.NaN;
      for (let i = 0; i < RATES; i++) this.rates[slot * RATES + i] = rates[i] ?? Number.NaN;
    }
    for (const record of state.objects) {
      const last = this.objectRecords.at(-1);
      if (last && record.timeMs <= last.timeMs) continue;
      this.objectRecords.push(record);
      if (this.objectRecords.length > this.objectsCapacity) this.objectRecords.shift();
    }
  }

  /** Bytes held by the columns (as allocated) and, roughly, by the object records. */
  bytes(): number {
    const columns =
      this.times.byteLength +
      this.lats.byteLength +
      this.lons.byteLength +
      this.speeds.byteLength +
      this.headings.byteLength +
      this.rates.byteLength;
    const objects = this.objectRecords.reduce((sum, record) => sum + 32 + record.objects.length * 48, 0);
    return columns + objects;
  }

  private slot(index: number): number {
    return (this.start + index) % this.times.length;
  }

  /** The slot of a new sample: grows the columns while below capacity, else overwrites the oldest. */
  private nextSlot(): number {
    if (this.size < this.times.length) return this.slot(this.size++);
    if (this.times.length < this.capacity) {
      this.grow(Math.min(this.capacity, Math.max(FIRST_CAPACITY, this.times.length * 2)));
      return this.slot(this.size++);
    }
    const slot = this.start;
    this.start = (this.start + 1) % this.times.length;
    return slot;
  }

  private grow(length: number): void {
    const order = Array.from({ length: this.size }, (_, i) => this.slot(i));
    const copy = <T extends Float64Array | Float32Array | Int32Array>(
      from: T,
      make: (n: number) => T,
      width = 1,
    ): T => {
      const to = make(length * width);
      order.forEach((slot, i) => {
        for (let k = 0; k < width; k++) to[i * width + k] = from[slot * width + k] as number;
      });
      return to;
    };
    this.times = copy(this.times, (n) => new Float64Array(n));
    this.lats = copy(this.lats, (n) => new Int32Array(n));
    this.lons = copy(this.lons, (n) => new Int32Array(n));
    this.speeds = copy(this.speeds, (n) => new Float32Array(n));
    this.headings = copy(this.headings, (n) => new Float32Array(n));
    this.rates = copy(this.rates, (n) => new Float32Array(n), RATES);
    this.start = 0;
  }

  private rowAt(slot: number): HistoryRow {
    const lat = this.lats[slot] as number;
    const row: HistoryRow = [
      this.times[slot] as number,
      lat === NO_POSITION ? null : lat / DEGREE_UNITS,
      lat === NO_POSITION ? null : (this.lons[slot] as number) / DEGREE_UNITS,
      known(this.speeds[slot] as number),
      known(this.headings[slot] as number),
    ];
    for (let i = 0; i < RATES; i++) row.push(known(this.rates[slot * RATES + i] as number));
    return row;
  }

  private sampleAt(slot: number): HistorySample {
    const sample: HistorySample = { time: new Date(this.times[slot] as number).toISOString() };
    const lat = this.lats[slot] as number;
    if (lat !== NO_POSITION)
      sample.position = { lat: lat / DEGREE_UNITS, lon: (this.lons[slot] as number) / DEGREE_UNITS };
    const speed = known(this.speeds[slot] as number);
    if (speed !== null) sample.speed = speed;
    const heading = known(this.headings[slot] as number);
    if (heading !== null) sample.heading = heading;
    const rates: Record<string, number> = {};
    let anyRate = false;
    for (let i = 0; i < RATES; i++) {
      const rate = known(this.rates[slot * RATES + i] as number);
      if (rate !== null) {
        rates[MESSAGE_TYPES[i] as string] = rate;
        anyRate = true;
      }
    }
    if (anyRate) sample.messageRates = rates;
    return sample;
  }
}

/** Float32 keeps ~7 digits: speeds and rates are rounded to 3 decimals, so 13.9 reads 13.9 again. */
function known(value: number): number | null {
  return Number.isNaN(value) ? null : Math.round(value * 1000) / 1000;
}

export type HistoryPart = "position" | "speed" | "heading" | "messageRates" | "objects";

/** Only the given parts of each sample (time always); object records only when `objects` is one. */
export function historyParts(data: TwinHistoryData, parts: readonly HistoryPart[]): Partial<TwinHistoryData> {
  const keep = new Set<string>(parts);
  const samples = data.samples.map((sample) => {
    const kept: Record<string, unknown> = { time: sample.time };
    for (const part of ["position", "speed", "heading", "messageRates"] as const) {
      if (keep.has(part) && sample[part] !== undefined) kept[part] = sample[part];
    }
    return kept as unknown as HistorySample;
  });
  return keep.has("objects") ? { samples, objects: data.objects } : { samples };
}
