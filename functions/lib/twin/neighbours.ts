/**
 * Where the twins of one MEC are, in memory, so neighbours are found without listing the store.
 *
 * A grid of cells a fraction of the radius wide. `near` walks square rings of cells outwards
 * from the twin's own, and stops as soon as the rings walked hold the nearest `maxNeighbours`
 * for certain: in dense traffic (hundreds of twins within the radius) the nearest few dozen are
 * in the first rings, and the rest of the radius is never looked at. Distances are compared on
 * a flat-earth approximation first; the great-circle distance is computed only for the twins
 * that can make the list.
 */
import { distanceM } from "../geo/sphere.ts";
import type { Neighbour } from "../model/twin.ts";
import { sortNearestFirst } from "./neighbourOrder.ts";

export interface KnownPosition {
  lat: number;
  lon: number;
  /** m/s; 0 when unknown. */
  speed: number;
}

interface Entry extends KnownPosition {
  id: string;
  row: number;
  column: number;
  /** The cell's members; `slot` is this entry's index in it (removal swaps the last one in). */
  cell: Entry[];
  slot: number;
}

const METRES_PER_DEGREE = 111_320;
/** Beyond this latitude cells would get too wide to help; fall back to a full scan. */
const GRID_MAX_ABS_LAT = 85;
/**
 * The flat-earth distance (metres per degree of longitude taken at the twin's latitude) is
 * within 1% of the great-circle one wherever the grid is used (a reach of at most
 * FLAT_MAX_REACH_M, below GRID_MAX_ABS_LAT); the bounds below carry that slack.
 */
const FLAT_SLACK = 1.01;
/** Metres: covers the rounding of both distances where they are near zero and ratios mean nothing. */
const ROUNDING_M = 0.001;
const FLAT_MAX_REACH_M = 10_000;
/** Cells per radius: rings of quarter-radius cells find the nearest few dozen early in dense traffic. */
const CELLS_PER_RADIUS = 4;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** What area queries (areaQuery.ts) are shown of each twin. */
export type Visit = (id: string, lat: number, lon: number) => void;

export class NeighbourIndex {
  private readonly entries = new Map<string, Entry>();
  /** Row, then column, to the cell's members (numbers as keys: no key strings per lookup). */
  private readonly rows = new Map<number, Map<number, Entry[]>>();
  private readonly cellM: number;
  private readonly cellLatDeg: number;
  private readonly reachM: number;
  private readonly gridUsable: boolean;
  // Scratch reused by every `near` (one call at a time): the candidates seen, their squared
  // flat distances, and a max-heap of the `maxNeighbours` smallest of those.
  private candidates: Entry[] = [];
  private candidateSquares = new Float64Array(256);
  private candidateCount = 0;
  private readonly nearest: Float64Array;
  private nearestCount = 0;

  /**
   * @param radiusM twins within this distance are neighbours
   * @param maxNeighbours `near` lists at most this many, the nearest (default: all)
   */
  constructor(
    readonly radiusM: number,
    readonly maxNeighbours: number = Number.POSITIVE_INFINITY,
  ) {
    if (!(radiusM > 0 && Number.isFinite(radiusM)))
      throw new Error(`neighbour radius must be a positive number of metres, got ${radiusM}`);
    if (!(Number.isInteger(maxNeighbours) || maxNeighbours === Number.POSITIVE_INFINITY) || maxNeighbours < 0)
      throw new Error(`maxNeighbours must be a whole number, got ${maxNeighbours}`);
    this.cellM = radiusM / CELLS_PER_RADIUS;
    this.cellLatDeg = this.cellM / METRES_PER_DEGREE;
    this.reachM = radiusM * FLAT_SLACK;
    this.gridUsable = this.reachM <= FLAT_MAX_REACH_M;
    this.nearest = new Float64Array(Number.isFinite(maxNeighbours) ? Math.max(1, maxNeighbours) : 0);
  }

  get size(): number {
    return this.entries.size;
  }

  upsert(id: string, position: KnownPosition): void {
    const row = Math.floor(position.lat / this.cellLatDeg);
    const column = Math.floor(position.lon / this.cellLonDeg(row));
    const previous = this.entries.get(id);
    if (previous && previous.row === row && previous.column === column) {
      // Same cell (the common case: a few metres per message): update in place, no new objects.
      previous.lat = position.lat;
      previous.lon = position.lon;
      previous.speed = position.speed;
      return;
    }
    if (previous) this.leave(previous);
    let columns = this.rows.get(row);
    if (!columns) {
      columns = new Map();
      this.rows.set(row, columns);
    }
    let cell = columns.get(column);
    if (!cell) {
      cell = [];
      columns.set(column, cell);
    }
    const entry: Entry = {
      id,
      lat: position.lat,
      lon: position.lon,
      speed: position.speed,
      row,
      column,
      cell,
      slot: cell.length,
    };
    cell.push(entry);
    this.entries.set(id, entry);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.leave(entry);
  }

  /** The other twins within the radius, nearest first (equal distances by id), at most `maxNeighbours`. */
  near(id: string): Neighbour[] {
    const self = this.entries.get(id);
    if (!self) return [];
    const metresPerDegreeLon = METRES_PER_DEGREE * Math.cos(toRadians(self.lat));
    const reachLatDeg = this.reachM / METRES_PER_DEGREE;
    const reachLonDeg =
      this.reachM / (METRES_PER_DEGREE * Math.cos(toRadians(Math.abs(self.lat) + reachLatDeg)));
    if (
      !this.gridUsable ||
      Math.abs(self.lat) + reachLatDeg > GRID_MAX_ABS_LAT ||
      Math.abs(self.lon) + reachLonDeg > 180
    ) {
      return this.nearByFullScan(self);
    }
    this.candidateCount = 0;
    this.nearestCount = 0;
    let walkedM = 0;
    for (let ring = 1; walkedM < this.reachM; ring++) {
      const halfM = Math.min(ring * this.cellM, this.reachM);
      this.walk(self, halfM, walkedM, metresPerDegreeLon);
      walkedM = halfM;
      // Every twin not walked yet is more than walkedM away (flat), so more than
      // walkedM / FLAT_SLACK on the sphere: done once the nearest found are closer than that for sure.
      const sure = walkedM / (FLAT_SLACK * FLAT_SLACK) - 2 * ROUNDING_M;
      const full = this.nearestCount === this.nearest.length && this.nearestCount > 0;
      if (full && sure > 0 && (this.nearest[0] as number) <= sure * sure) break;
    }
    return this.pick(self);
  }

  /** Takes the candidates in the cells within halfM of self and not within insideM (0: none walked yet). */
  private walk(self: Entry, halfM: number, insideM: number, metresPerDegreeLon: number): void {
    const box = this.box(self, halfM);
    const inner = insideM > 0 ? this.box(self, insideM) : undefined;
    for (let row = box.firstRow; row <= box.lastRow; row++) {
      const columns = this.rows.get(row);
      if (!columns) continue;
      const width = this.cellLonDeg(row);
      const first = Math.floor(box.west / width);
      const last = Math.floor(box.east / width);
      if (inner && row >= inner.firstRow && row <= inner.lastRow) {
        // The middle of this row was walked in an earlier ring: only its two new ends.
        const innerFirst = Math.floor(inner.west / width);
        const innerLast = Math.floor(inner.east / width);
        for (let column = first; column < innerFirst; column++)
          this.take(self, columns.get(column), metresPerDegreeLon);
        for (let column = innerLast + 1; column <= last; column++)
          this.take(self, columns.get(column), metresPerDegreeLon);
      } else {
        for (let column = first; column <= last; column++)
          this.take(self, columns.get(column), metresPerDegreeLon);
      }
    }
  }

  /**
   * The rows, and the longitudes, of every point within halfM of self (flat): degrees of
   * longitude are taken at the box's poleward edge, where they are shortest, so it is never too narrow.
   */
  private box(self: KnownPosition, halfM: number) {
    const latDeg = halfM / METRES_PER_DEGREE;
    const lonDeg = halfM / (METRES_PER_DEGREE * Math.cos(toRadians(Math.abs(self.lat) + latDeg)));
    return {
      firstRow: Math.floor((self.lat - latDeg) / this.cellLatDeg),
      lastRow: Math.floor((self.lat + latDeg) / this.cellLatDeg),
      west: self.lon - lonDeg,
      east: self.lon + lonDeg,
    };
  }

  private take(self: Entry, cell: Entry[] | undefined, metresPerDegreeLon: number): void {
    if (cell === undefined) return;
    const reachSquared = this.reachM * this.reachM;
    for (let i = 0; i < cell.length; i++) {
      const other = cell[i] as Entry;
      if (other === self) continue;
      const dy = (other.lat - self.lat) * METRES_PER_DEGREE;
      const dx = (other.lon - self.lon) * metresPerDegreeLon;
      const squared = dx * dx + dy * dy;
      if (squared > reachSquared) continue;
      if (this.candidateCount === this.candidateSquares.length) {
        const grown = new Float64Array(this.candidateSquares.length * 2);
        grown.set(this.candidateSquares);
        this.candidateSquares = grown;
      }
      this.candidates[this.candidateCount] = other;
      this.candidateSquares[this.candidateCount++] = squared;
      this.keepIfNearest(squared);
    }
  }

  /** Max-heap of the smallest squared distances seen, at most maxNeighbours of them. */
  private keepIfNearest(squared: number): void {
    const heap = this.nearest;
    if (heap.length === 0) return;
    if (this.nearestCount < heap.length) {
      let i = this.nearestCount++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) >= squared) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = squared;
      return;
    }
    if (squared >= (heap[0] as number)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.nearestCount) break;
      const right = left + 1;
      const larger =
        right < this.nearestCount && (heap[right] as number) > (heap[left] as number) ? right : left;
      if ((heap[larger] as number) <= squared) break;
      heap[i] = heap[larger] as number;
      i = larger;
    }
    heap[i] = squared;
  }

  /**
   * The neighbours among the candidates. When the heap is full its top is the maxNeighbours-th
   * smallest flat distance d: those twins are within d * FLAT_SLACK on the sphere, so a twin
   * flat-farther than d * FLAT_SLACK² cannot be nearer than all of them and is skipped unmeasured.
   */
  private pick(self: Entry): Neighbour[] {
    const full = this.nearestCount === this.nearest.length && this.nearestCount > 0;
    const cutoffM = full
      ? Math.sqrt(this.nearest[0] as number) * FLAT_SLACK * FLAT_SLACK + 2 * ROUNDING_M
      : Number.POSITIVE_INFINITY;
    const cutoff = cutoffM * cutoffM;
    const neighbours: Neighbour[] = [];
    for (let i = 0; i < this.candidateCount; i++) {
      if ((this.candidateSquares[i] as number) > cutoff) continue;
      this.measure(self, this.candidates[i] as Entry, neighbours);
    }
    return this.nearestFirst(neighbours);
  }

  /** Exact and slow: for positions the grid does not serve (near a pole or the antimeridian, huge radii). */
  private nearByFullScan(self: Entry): Neighbour[] {
    const neighbours: Neighbour[] = [];
    for (const other of this.entries.values()) if (other !== self) this.measure(self, other, neighbours);
    return this.nearestFirst(neighbours);
  }

  private measure(self: Entry, other: Entry, into: Neighbour[]): void {
    const distance = distanceM(self, other);
    if (distance <= this.radiusM) {
      into.push({ id: other.id, distanceM: distance, relativeSpeed: other.speed - self.speed });
    }
  }

  private nearestFirst(neighbours: Neighbour[]): Neighbour[] {
    sortNearestFirst(neighbours);
    if (neighbours.length > this.maxNeighbours) neighbours.length = this.maxNeighbours;
    return neighbours;
  }

  private leave(entry: Entry): void {
    const { cell, slot } = entry;
    const last = cell.pop() as Entry;
    if (last !== entry) {
      cell[slot] = last;
      last.slot = slot;
    }
    if (cell.length === 0) {
      const columns = this.rows.get(entry.row);
      columns?.delete(entry.column);
      if (columns?.size === 0) this.rows.delete(entry.row);
    }
  }

  /**
   * Visits the twins in the cells that overlap a box of latitudes and longitudes (no wrap at the
   * antimeridian: west <= east), and answers false without visiting when the box spans more
   * cells than there are twins: a scan of all (`forEach`) is then cheaper. Visited twins may lie
   * outside the box (cells are coarser); callers check the exact bounds.
   */
  forEachInCells(south: number, west: number, north: number, east: number, visit: Visit): boolean {
    const firstRow = Math.floor(south / this.cellLatDeg);
    const lastRow = Math.floor(north / this.cellLatDeg);
    let cells = 0;
    for (let row = firstRow; row <= lastRow; row++) {
      const width = this.cellLonDeg(row);
      cells += Math.floor(east / width) - Math.floor(west / width) + 1;
      if (cells > this.entries.size) return false;
    }
    for (let row = firstRow; row <= lastRow; row++) {
      const columns = this.rows.get(row);
      if (!columns) continue;
      const width = this.cellLonDeg(row);
      const last = Math.floor(east / width);
      for (let column = Math.floor(west / width); column <= last; column++) {
        const cell = columns.get(column);
        if (cell === undefined) continue;
        for (let i = 0; i < cell.length; i++) {
          const entry = cell[i] as Entry;
          visit(entry.id, entry.lat, entry.lon);
        }
      }
    }
    return true;
  }

  /** Visits every twin with a known position. */
  forEach(visit: Visit): void {
    for (const entry of this.entries.values()) visit(entry.id, entry.lat, entry.lon);
  }

  /** Cells are about cellM wide (at their row's poleward edge); any width would be correct. */
  private cellLonDeg(row: number): number {
    const polewardEdge = Math.max(Math.abs(row), Math.abs(row + 1)) * this.cellLatDeg;
    const latitude = Math.min(GRID_MAX_ABS_LAT, polewardEdge);
    return this.cellM / (METRES_PER_DEGREE * Math.cos(toRadians(latitude)));
  }
}
