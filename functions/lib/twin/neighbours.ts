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
import { distanceBetweenM } from "../geo/sphere.ts";
import type { Neighbour } from "../model/twin.ts";
import { CellGrid, GRID_MAX_ABS_LAT } from "./cellGrid.ts";
import { type Cell, type Member, STRIDE } from "./gridRow.ts";
import { sortNearestFirst } from "./neighbourOrder.ts";

export interface KnownPosition {
  lat: number;
  lon: number;
  /** m/s; 0 when unknown. */
  speed: number;
}

/** Where `near` stands: the twin asked about, read once from its cell. */
interface Self {
  member: Member;
  lat: number;
  lon: number;
  speed: number;
}

const METRES_PER_DEGREE = 111_320;
/**
 * The flat-earth distance (metres per degree of longitude taken at the twin's latitude) is
 * within 1% of the great-circle one wherever the grid is used (a reach of at most
 * FLAT_MAX_REACH_M, below GRID_MAX_ABS_LAT); the bounds below carry that slack.
 */
const FLAT_SLACK = 1.01;
/** Metres: covers the rounding of both distances where they are near zero and ratios mean nothing. */
const ROUNDING_M = 0.001;
const FLAT_MAX_REACH_M = 10_000;
/**
 * Cells per radius: rings of half-radius cells still find the nearest few dozen early in dense
 * traffic, and an area query (areaQuery.ts) reads a few dozen well-filled cells rather than
 * hundreds holding a twin or two each (reading a cell costs about as much as several of its points).
 */
const CELLS_PER_RADIUS = 2;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

export class NeighbourIndex {
  /** The twins by cell; areaQuery.ts reads it too. */
  readonly grid: CellGrid;
  private readonly cellM: number;
  private readonly reachM: number;
  private readonly gridUsable: boolean;
  // Scratch reused by every `near` (one call at a time): the candidates seen (cell and slot),
  // their squared flat distances, and a max-heap of the `maxNeighbours` smallest of those.
  private candidateCells: Cell[] = [];
  private candidateSlots = new Int32Array(256);
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
    this.grid = new CellGrid(this.cellM);
    this.reachM = radiusM * FLAT_SLACK;
    this.gridUsable = this.reachM <= FLAT_MAX_REACH_M;
    this.nearest = new Float64Array(Number.isFinite(maxNeighbours) ? Math.max(1, maxNeighbours) : 0);
  }

  get size(): number {
    return this.grid.size;
  }

  upsert(id: string, position: KnownPosition): void {
    this.grid.put(id, position.lat, position.lon, position.speed);
  }

  remove(id: string): void {
    this.grid.remove(id);
  }

  /** The other twins within the radius, nearest first (equal distances by id), at most `maxNeighbours`. */
  near(id: string): Neighbour[] {
    const member = this.grid.member(id);
    if (member === undefined) return [];
    const at = member.slot * STRIDE;
    const { points } = member.cell;
    const self: Self = {
      member,
      lat: points[at] as number,
      lon: points[at + 1] as number,
      speed: points[at + 2] as number,
    };
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
  private walk(self: Self, halfM: number, insideM: number, metresPerDegreeLon: number): void {
    const box = this.box(self, halfM);
    const inner = insideM > 0 ? this.box(self, insideM) : undefined;
    for (let row = box.firstRow; row <= box.lastRow; row++) {
      const columns = this.grid.columnsOf(row);
      if (columns === undefined) continue;
      const width = this.grid.widthOf(row);
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
  private box(self: Self, halfM: number) {
    const latDeg = halfM / METRES_PER_DEGREE;
    const lonDeg = halfM / (METRES_PER_DEGREE * Math.cos(toRadians(Math.abs(self.lat) + latDeg)));
    return {
      firstRow: this.grid.rowOf(self.lat - latDeg),
      lastRow: this.grid.rowOf(self.lat + latDeg),
      west: self.lon - lonDeg,
      east: self.lon + lonDeg,
    };
  }

  private take(self: Self, cell: Cell | undefined, metresPerDegreeLon: number): void {
    if (cell === undefined) return;
    const reachSquared = this.reachM * this.reachM;
    const { points, start } = cell;
    const end = start + cell.count;
    for (let i = start; i < end; i++) {
      const dy = ((points[i * STRIDE] as number) - self.lat) * METRES_PER_DEGREE;
      const dx = ((points[i * STRIDE + 1] as number) - self.lon) * metresPerDegreeLon;
      const squared = dx * dx + dy * dy;
      if (squared > reachSquared) continue;
      if (cell === self.member.cell && i === self.member.slot) continue;
      if (this.candidateCount === this.candidateSquares.length) this.growCandidates();
      this.candidateCells[this.candidateCount] = cell;
      this.candidateSlots[this.candidateCount] = i;
      this.candidateSquares[this.candidateCount++] = squared;
      this.keepIfNearest(squared);
    }
  }

  private growCandidates(): void {
    const squares = new Float64Array(this.candidateSquares.length * 2);
    squares.set(this.candidateSquares);
    this.candidateSquares = squares;
    const slots = new Int32Array(this.candidateSlots.length * 2);
    slots.set(this.candidateSlots);
    this.candidateSlots = slots;
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
  private pick(self: Self): Neighbour[] {
    const full = this.nearestCount === this.nearest.length && this.nearestCount > 0;
    const cutoffM = full
      ? Math.sqrt(this.nearest[0] as number) * FLAT_SLACK * FLAT_SLACK + 2 * ROUNDING_M
      : Number.POSITIVE_INFINITY;
    const cutoff = cutoffM * cutoffM;
    const neighbours: Neighbour[] = [];
    for (let i = 0; i < this.candidateCount; i++) {
      if ((this.candidateSquares[i] as number) > cutoff) continue;
      this.measure(self, this.candidateCells[i] as Cell, this.candidateSlots[i] as number, neighbours);
    }
    return this.nearestFirst(neighbours);
  }

  /** Exact and slow: for positions the grid does not serve (near a pole or the antimeridian, huge radii). */
  private nearByFullScan(self: Self): Neighbour[] {
    const neighbours: Neighbour[] = [];
    this.grid.forEachCell((cell) => {
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        if (cell !== self.member.cell || i !== self.member.slot) this.measure(self, cell, i, neighbours);
      }
    });
    return this.nearestFirst(neighbours);
  }

  private measure(self: Self, cell: Cell, slot: number, into: Neighbour[]): void {
    const at = slot * STRIDE;
    const { points } = cell;
    const distance = distanceBetweenM(self.lat, self.lon, points[at] as number, points[at + 1] as number);
    if (distance <= this.radiusM) {
      const id = cell.ids[slot] as string;
      into.push({ id, distanceM: distance, relativeSpeed: (points[at + 2] as number) - self.speed });
    }
  }

  private nearestFirst(neighbours: Neighbour[]): Neighbour[] {
    sortNearestFirst(neighbours);
    if (neighbours.length > this.maxNeighbours) neighbours.length = this.maxNeighbours;
    return neighbours;
  }
}
