/**
 * Which twins a query answers, in which order, one page at a time: pure, over candidate twins
 * (from the spatial index, or every twin). The area is always checked here exactly, so a
 * superset of candidates gives the same answer as the exact set.
 *
 * Pages use a keyset cursor, never an offset. In `id` order the cursor is the last station id
 * sent: a twin that matches the query throughout is sent exactly once however twins move or
 * come and go between pages. In `distance` order (a `near` query) the cursor is the last
 * (distance, id): a twin that moves across that distance between pages may be sent twice or
 * not at all, so a complete listing of a moving crowd pages in `id` order (order=id).
 */
import { createHash } from "node:crypto";
import { distanceM } from "../../geo/sphere.ts";
import type { BBox } from "../../geo/types.ts";
import type { Twin, TwinStatus } from "../../model/twin.ts";
import { copyTwin } from "./copyTwin.ts";

/** A point and a radius: the area of a `near` query. */
export interface Circle {
  lat: number;
  lon: number;
  radiusM: number;
}

export type TwinLiveness = Twin["liveness"];
export type TwinOrder = "id" | "distance";
export type TwinField = keyof Twin;
/** The extra field of a `near` answer: great-circle metres from the query's point. */
export const DISTANCE_FIELD = "distanceFromPointM";

/** What selects twins; every part given must hold (and). */
export interface TwinFilter {
  bbox?: BBox;
  near?: Circle;
  mec?: string[];
  stationType?: string[];
  liveness?: TwinLiveness;
  status?: TwinStatus;
  /** Seen (lastSeen) at or after this, ms since the epoch. */
  updatedSinceMs?: number;
}

export interface TwinQuery extends TwinFilter {
  order: TwinOrder;
  /** Only these fields of each twin (and always `id`); absent: all. */
  fields?: TwinField[];
  /** At most this many twins per page; absent: all in one page. */
  limit?: number;
  /** Where the previous page ended (decoded); absent: the first page. */
  after?: Cursor;
}

export interface Cursor {
  order: TwinOrder;
  id: string;
  distanceM?: number;
  /** Fingerprint of the filter and order the cursor belongs to. */
  query: string;
}

export type TwinAnswer = Partial<Twin> & { id: string; [DISTANCE_FIELD]?: number };

export interface TwinPage {
  twins: TwinAnswer[];
  /** The cursor of the next page; absent when this page is the last. */
  next?: string;
}

const collator = new Intl.Collator("en", { numeric: true });
const PLAIN_NUMBER = /^(?:0|[1-9][0-9]*)$/;
/**
 * Station ids in numeric-aware order ("2" before "10"), a total order (ties by code units). Two
 * plain numbers (the usual station ids) are compared by length, then digits: the collator's
 * order for them, at a fraction of its cost (sorting a few hundred ids with it took a millisecond).
 */
export function compareIds(a: string, b: string): number {
  if (PLAIN_NUMBER.test(a) && PLAIN_NUMBER.test(b))
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Whether the twin matches everything but the area. */
export function matchesAttributes(twin: Twin, filter: TwinFilter): boolean {
  if (filter.mec && !filter.mec.includes(twin.mec)) return false;
  if (filter.stationType && !filter.stationType.includes(twin.stationType)) return false;
  if (filter.liveness && twin.liveness !== filter.liveness) return false;
  if (filter.status && twin.status !== filter.status) return false;
  if (filter.updatedSinceMs !== undefined && !(Date.parse(twin.lastSeen) >= filter.updatedSinceMs))
    return false;
  return true;
}

export function inBox(position: { lat: number; lon: number }, box: BBox): boolean {
  return (
    position.lat >= box.south &&
    position.lat <= box.north &&
    position.lon >= box.west &&
    position.lon <= box.east
  );
}

/**
 * The distance from the query's point when the twin is in the area (0 without `near`), or
 * undefined when it is not; a twin without a position is in no area.
 */
export function areaDistance(twin: Twin, filter: TwinFilter): number | undefined {
  if (!filter.bbox && !filter.near) return 0;
  const position = twin.position;
  if (!position) return undefined;
  if (filter.bbox && !inBox(position, filter.bbox)) return undefined;
  if (!filter.near) return 0;
  const distance = distanceM(filter.near, position);
  return distance <= filter.near.radiusM ? distance : undefined;
}

/** One page of the candidates that match the query, in its order. */
export function selectTwins(candidates: readonly Twin[], query: TwinQuery): TwinPage {
  const matching: Match[] = [];
  for (const twin of candidates) {
    if (!matchesAttributes(twin, query)) continue;
    const distance = areaDistance(twin, query);
    if (distance !== undefined) matching.push({ twin, distance, number: idNumber(twin.id) });
  }
  const byDistance = query.order === "distance";
  matching.sort((a, b) => (byDistance ? a.distance - b.distance : 0) || compareMatches(a, b));
  const after = query.after;
  const start = after
    ? matching.findIndex(({ twin, distance }) =>
        byDistance
          ? distance > (after.distanceM ?? 0) ||
            (distance === after.distanceM && compareIds(twin.id, after.id) > 0)
          : compareIds(twin.id, after.id) > 0,
      )
    : 0;
  const rest = start < 0 ? [] : matching.slice(start);
  const page = query.limit === undefined ? rest : rest.slice(0, query.limit);
  const twins = page.map(({ twin, distance }) => project(twin, query, distance));
  const last = page.at(-1);
  if (last === undefined || page.length === rest.length) return { twins };
  const cursor: Cursor = { order: query.order, id: last.twin.id, query: queryFingerprint(query) };
  if (byDistance) cursor.distanceM = last.distance;
  return { twins, next: encodeCursor(cursor) };
}

interface Match {
  twin: Twin;
  distance: number;
  /** The id as a number when it is a plain one (NaN else): sorting compares these first. */
  number: number;
}

function idNumber(id: string): number {
  return id.length <= 15 && PLAIN_NUMBER.test(id) ? Number(id) : Number.NaN;
}

/** compareIds, with the ids' numbers worked out once per twin rather than once per comparison. */
function compareMatches(a: Match, b: Match): number {
  if (!Number.isNaN(a.number) && !Number.isNaN(b.number)) return a.number - b.number;
  return compareIds(a.twin.id, b.twin.id);
}

function project(twin: Twin, query: TwinQuery, distance: number): TwinAnswer {
  let answer: TwinAnswer = twin;
  if (query.fields) {
    answer = { id: twin.id };
    const into = answer as Record<string, unknown>;
    for (const field of query.fields) if (twin[field] !== undefined) into[field] = twin[field];
  } else if (query.near) {
    answer = copyTwin(twin); // a spread of the ~30-field twin took V8's slow path (copyTwin.ts)
  }
  if (query.near) answer[DISTANCE_FIELD] = distance;
  return answer;
}

/** What a cursor is bound to: the filter and the order (not fields or limit, which may change). */
export function queryFingerprint(query: TwinQuery): string {
  const { bbox, near, mec, stationType, liveness, status, updatedSinceMs, order } = query;
  const canonical = JSON.stringify([bbox, near, mec, stationType, liveness, status, updatedSinceMs, order]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 12);
}

export function encodeCursor(cursor: Cursor): string {
  const parts: unknown[] = [1, cursor.order, cursor.id, cursor.query];
  if (cursor.distanceM !== undefined) parts.push(cursor.distanceM);
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

/** The cursor, or a sentence saying why the text is none. */
export function decodeCursor(text: string): Cursor | string {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return "not a cursor of this API (pass the X-Next-Cursor of the previous page as it is)";
  }
  if (!Array.isArray(parts) || parts[0] !== 1) return "not a cursor of this API";
  const [, order, id, query, distance] = parts;
  if ((order !== "id" && order !== "distance") || typeof id !== "string" || typeof query !== "string") {
    return "not a cursor of this API";
  }
  if (order === "distance" && typeof distance !== "number") return "not a cursor of this API";
  const cursor: Cursor = { order, id, query };
  if (typeof distance === "number") cursor.distanceM = distance;
  return cursor;
}
