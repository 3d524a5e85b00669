/**
 * A twin's history: a bounded, time-ordered ring of samples (position, speed, heading, message
 * rates), at most one per `intervalMs` (faster reports are downsampled: the first of each
 * interval is kept), spanning `durationMs`; and, at a lower rate, what the station perceives
 * (a CPM's objects, as RSUs send). Samples are columns of typed arrays in chunks of a fixed
 * size: a short-lived twin holds one chunk, a full history reuses its oldest chunk for its newest,
 * so appending makes no object and never copies. Growing by doubling copied every sample at each
 * step; twins that appeared together doubled in the same second (33 ms for 2,000 twins), and the
 * freed columns of every size left the allocator's memory fragmented.
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

/**
 * Samples per chunk: small enough that a short-lived twin holds little (2.8 KB), large enough
 * that a history of 10 minutes is ten chunks.
 */
export const CHUNK_SAMPLES = 64;

/** Samples and object records a history holds at most: its duration over its interval, and one. */
export function historyCapacity(options: HistoryOptions): { samples: number; objects: number } {
  return {
    samples: Math.max(1, Math.ceil(options.durationMs / options.intervalMs) + 1),
    objects: Math.max(1, Math.ceil(options.durationMs / options.objectsIntervalMs) + 1),
  };
}
const RATES = MESSAGE_TYPES.length;
/** Time (8 bytes), latitude and longitude (4 + 4), speed and heading (4 + 4), one rate per type (4). */
export const BYTES_PER_SAMPLE = 8 + 4 * 4 + 4 * RATES;
/** Positions as whole 1e-7 degrees (the CAM's own unit): exact to a centimetre in four bytes. */
const DEGREE_UNITS = 1e7;
/** The empty value of an Int32 column (no position). */
const NO_POSITION = -0x80000000;

/** CHUNK_SAMPLES samples as columns over one buffer: one allocation, all chunks the same size. */
class SampleChunk {
  readonly times: Float64Array;
  readonly lats: Int32Array;
  readonly lons: Int32Array;
  readonly speeds: Float32Array;
  readonly headings: Float32Array;
  readonly rates: Float32Array;

  constructor() {
    const buffer = new ArrayBuffer(CHUNK_SAMPLES * BYTES_PER_SAMPLE);
    let offset = 0;
    const next = <T>(make: (offset: number) => T, bytes: number): T => {
      const column = make(offset);
      offset += CHUNK_SAMPLES * bytes;
      return column;
    };
    this.times = next((at) => new Float64Array(buffer, at, CHUNK_SAMPLES), 8);
    this.lats = next((at) => new Int32Array(buffer, at, CHUNK_SAMPLES), 4);
    this.lons = next((at) => new Int32Array(buffer, at, CHUNK_SAMPLES), 4);
    this.speeds = next((at) => new Float32Array(buffer, at, CHUNK_SAMPLES), 4);
    this.headings = next((at) => new Float32Array(buffer, at, CHUNK_SAMPLES), 4);
    this.rates = new Float32Array(buffer, offset, CHUNK_SAMPLES * RATES);
  }
}

export class TwinHistory {
  readonly capacity: number;
  readonly objectsCapacity: number;
  private size = 0;
  /** Where the oldest sample is in the first chunk. */
  private start = 0;
  private chunks: SampleChunk[] = [];
  /** The oldest chunk once all its samples have been dropped, kept to become the newest. */
  private spare: SampleChunk | undefined;
  private objectRecords: ObjectsRecord[] = [];

  constructor(readonly options: HistoryOptions) {
    ({ samples: this.capacity, objects: this.objectsCapacity } = historyCapacity(options));
  }

  get length(): number {
    return this.size;
  }

  get lastTimeMs(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : this.timeAt(this.size - 1);
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
    const index = this.nextIndex();
    const chunk = this.chunkAt(index);
    const offset = this.offsetAt(index);
    chunk.times[offset] = timeMs;
    chunk.lats[offset] = position ? Math.round(position.lat * DEGREE_UNITS) : NO_POSITION;
    chunk.lons[offset] = position ? Math.round(position.lon * DEGREE_UNITS) : NO_POSITION;
    chunk.speeds[offset] = speed ?? Number.NaN;
    chunk.headings[offset] = heading ?? Number.NaN;
    for (let i = 0; i < RATES; i++)
      chunk.rates[offset * RATES + i] = messageRates[MESSAGE_TYPES[i] as string] ?? Number.NaN;
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
      const timeMs = this.timeAt(i);
      if (timeMs < sinceMs) continue;
      if (timeMs > untilMs) break;
      samples.push(this.sampleAt(this.chunkAt(i), this.offsetAt(i)));
    }
    const objects = this.objectRecords
      .filter((record) => record.timeMs >= sinceMs && record.timeMs <= untilMs)
      .map((record) => ({ time: new Date(record.timeMs).toISOString(), objects: record.objects }));
    return { samples, objects };
  }

  /** Everything kept, as a snapshot carries it. */
  state(): TwinHistoryState {
    const rows: HistoryRow[] = [];
    for (let i = 0; i < this.size; i++) rows.push(this.rowAt(this.chunkAt(i), this.offsetAt(i)));
    return { rows, objects: this.objectRecords.map((record) => ({ ...record })) };
  }

  /** The newest sample as a row (what a store appends), or undefined when empty. */
  lastRow(): HistoryRow | undefined {
    if (this.size === 0) return undefined;
    return this.rowAt(this.chunkAt(this.size - 1), this.offsetAt(this.size - 1));
  }

  lastObjects(): ObjectsRecord | undefined {
    return this.objectRecords.at(-1);
  }

  /** Adds kept rows and objects (oldest first) to what this history holds, in time order. */
  restore(state: TwinHistoryState): void {
    for (const row of state.rows) {
      const [timeMs, lat, lon, speed, heading, ...rates] = row;
      if (typeof timeMs !== "number" || (this.size > 0 && timeMs <= this.lastTimeMs)) continue;
      const index = this.nextIndex();
      const chunk = this.chunkAt(index);
      const offset = this.offsetAt(index);
      chunk.times[offset] = timeMs;
      chunk.lats[offset] = typeof lat === "number" ? Math.round(lat * DEGREE_UNITS) : NO_POSITION;
      chunk.lons[offset] = typeof lon === "number" ? Math.round(lon * DEGREE_UNITS) : NO_POSITION;
      chunk.speeds[offset] = speed ?? Number.NaN;
      chunk.headings[offset] = heading ?? Number.NaN;
      for (let i = 0; i < RATES; i++) chunk.rates[offset * RATES + i] = rates[i] ?? Number.NaN;
    }
    for (const record of state.objects) {
      const last = this.objectRecords.at(-1);
      if (last && record.timeMs <= last.timeMs) continue;
      this.objectRecords.push(record);
      if (this.objectRecords.length > this.objectsCapacity) this.objectRecords.shift();
    }
  }

  /** Bytes held by the chunks (as allocated, the spare included) and, roughly, by the object records. */
  bytes(): number {
    const chunks = this.chunks.length + (this.spare === undefined ? 0 : 1);
    const objects = this.objectRecords.reduce((sum, record) => sum + 32 + record.objects.length * 48, 0);
    return chunks * CHUNK_SAMPLES * BYTES_PER_SAMPLE + objects;
  }

  private chunkAt(index: number): SampleChunk {
    return this.chunks[Math.floor((this.start + index) / CHUNK_SAMPLES)] as SampleChunk;
  }

  private offsetAt(index: number): number {
    return (this.start + index) % CHUNK_SAMPLES;
  }

  private timeAt(index: number): number {
    return this.chunkAt(index).times[this.offsetAt(index)] as number;
  }

  /**
   * The index of a new sample: the next after the newest, in a new chunk when the last is full.
   * A full history first drops its oldest; an emptied first chunk is kept as the spare.
   */
  private nextIndex(): number {
    if (this.size === this.capacity) {
      this.size--;
      this.start++;
      if (this.start === CHUNK_SAMPLES) {
        this.start = 0;
        this.spare = this.chunks.shift();
      }
    }
    if (this.start + this.size === this.chunks.length * CHUNK_SAMPLES) {
      this.chunks.push(this.spare ?? new SampleChunk());
      this.spare = undefined;
    }
    return this.size++;
  }

  private rowAt(chunk: SampleChunk, offset: number): HistoryRow {
    const lat = chunk.lats[offset] as number;
    const row: HistoryRow = [
      chunk.times[offset] as number,
      lat === NO_POSITION ? null : lat / DEGREE_UNITS,
      lat === NO_POSITION ? null : (chunk.lons[offset] as number) / DEGREE_UNITS,
      known(chunk.speeds[offset] as number),
      known(chunk.headings[offset] as number),
    ];
    for (let i = 0; i < RATES; i++) row.push(known(chunk.rates[offset * RATES + i] as number));
    return row;
  }

  private sampleAt(chunk: SampleChunk, offset: number): HistorySample {
    const sample: HistorySample = { time: new Date(chunk.times[offset] as number).toISOString() };
    const lat = chunk.lats[offset] as number;
    if (lat !== NO_POSITION)
      sample.position = { lat: lat / DEGREE_UNITS, lon: (chunk.lons[offset] as number) / DEGREE_UNITS };
    const speed = known(chunk.speeds[offset] as number);
    if (speed !== null) sample.speed = speed;
    const heading = known(chunk.headings[offset] as number);
    if (heading !== null) sample.heading = heading;
    const rates: Record<string, number> = {};
    let anyRate = false;
    for (let i = 0; i < RATES; i++) {
      const rate = known(chunk.rates[offset * RATES + i] as number);
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
