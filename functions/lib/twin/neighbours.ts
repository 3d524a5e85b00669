/**
 * Where the twins of one MEC are, in memory, so neighbours are found without listing the store:
 * a grid of cells at least one radius wide, so the neighbours of a twin are in its cell or the
 * eight around it.
 */
import { distanceM } from "../geo/sphere.ts";
import type { Neighbour } from "./model.ts";

export interface KnownPosition {
  lat: number;
  lon: number;
  /** m/s; 0 when unknown. */
  speed: number;
}

const METRES_PER_DEGREE = 111_320;
/** Beyond this latitude cells would get too wide to help; fall back to a full scan. */
const GRID_MAX_ABS_LAT = 85;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

export class NeighbourIndex {
  private readonly positions = new Map<
    string,
    KnownPosition & { row: number; column: number; cell: string }
  >();
  private readonly cells = new Map<string, Set<string>>();
  private readonly cellLatDeg: number;

  constructor(readonly radiusM: number) {
    this.cellLatDeg = radiusM / METRES_PER_DEGREE;
  }

  get size(): number {
    return this.positions.size;
  }

  upsert(id: string, position: KnownPosition): void {
    const row = Math.floor(position.lat / this.cellLatDeg);
    const column = Math.floor(position.lon / this.cellLonDeg(row));
    const previous = this.positions.get(id);
    if (previous && previous.row === row && previous.column === column) {
      // Same cell (the common case: a few metres per message): update in place, no new objects.
      previous.lat = position.lat;
      previous.lon = position.lon;
      previous.speed = position.speed;
      return;
    }
    const cell = `${row}:${column}`;
    if (previous) this.leave(id, previous.cell);
    let members = this.cells.get(cell);
    if (!members) {
      members = new Set();
      this.cells.set(cell, members);
    }
    members.add(id);
    this.positions.set(id, {
      lat: position.lat,
      lon: position.lon,
      speed: position.speed,
      row,
      column,
      cell,
    });
  }

  remove(id: string): void {
    const previous = this.positions.get(id);
    if (!previous) return;
    this.positions.delete(id);
    this.leave(id, previous.cell);
  }

  private leave(id: string, cell: string): void {
    const members = this.cells.get(cell);
    members?.delete(id);
    if (members?.size === 0) this.cells.delete(cell);
  }

  /** The other twins within the radius, nearest first. */
  near(id: string): Neighbour[] {
    const self = this.positions.get(id);
    if (!self) return [];
    const neighbours: Neighbour[] = [];
    // A flat-earth pre-check with 1% slack skips the great-circle maths for most candidates.
    const slackSquared = (this.radiusM * 1.01) ** 2;
    const metresPerDegreeLon = METRES_PER_DEGREE * Math.cos(toRadians(self.lat));
    // Plain loops over the cells' sets: a generator here cost as much as the distance checks.
    for (const members of this.candidateCells(self)) {
      for (const otherId of members) {
        if (otherId === id) continue;
        const other = this.positions.get(otherId) as KnownPosition;
        const dy = (other.lat - self.lat) * METRES_PER_DEGREE;
        const dx = (other.lon - self.lon) * metresPerDegreeLon;
        if (dx * dx + dy * dy > slackSquared) continue;
        const distance = distanceM(self, other);
        if (distance <= this.radiusM) {
          neighbours.push({ id: otherId, distanceM: distance, relativeSpeed: other.speed - self.speed });
        }
      }
    }
    return neighbours.sort((a, b) => a.distanceM - b.distanceM);
  }

  /** The id sets that can hold a neighbour: the cell and the eight around it (all ids near a pole). */
  private candidateCells(self: KnownPosition): Iterable<string>[] {
    if (Math.abs(self.lat) > GRID_MAX_ABS_LAT - 1) return [this.positions.keys()];
    const found: Set<string>[] = [];
    const row = Math.floor(self.lat / this.cellLatDeg);
    for (let dRow = -1; dRow <= 1; dRow++) {
      const width = this.cellLonDeg(row + dRow);
      const column = Math.floor(self.lon / width);
      for (let dColumn = -1; dColumn <= 1; dColumn++) {
        const members = this.cells.get(`${row + dRow}:${column + dColumn}`);
        if (members) found.push(members);
      }
    }
    return found;
  }

  /**
   * Cells of a row are as wide in longitude as the radius at a latitude one row poleward of the
   * row's poleward edge: at least one radius wide wherever a neighbour from the next row can be.
   */
  private cellLonDeg(row: number): number {
    const polewardEdge = Math.max(Math.abs(row), Math.abs(row + 1)) * this.cellLatDeg + this.cellLatDeg;
    const latitude = Math.min(GRID_MAX_ABS_LAT, polewardEdge);
    return this.radiusM / (METRES_PER_DEGREE * Math.cos(toRadians(latitude)));
  }
}
