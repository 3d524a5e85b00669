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

const METRES_PER_DEGREE_LAT = 111_320;
/** Beyond this latitude cells would get narrower than the radius; fall back to a full scan. */
const GRID_MAX_ABS_LAT = 80;

export class NeighbourIndex {
  private readonly positions = new Map<string, KnownPosition & { cell: string }>();
  private readonly cells = new Map<string, Set<string>>();
  private readonly cellLatDeg: number;
  private readonly cellLonDeg: number;

  constructor(readonly radiusM: number) {
    this.cellLatDeg = radiusM / METRES_PER_DEGREE_LAT;
    // Wide enough at the highest latitude the grid serves, so one ring of cells always covers the radius.
    this.cellLonDeg = radiusM / (METRES_PER_DEGREE_LAT * Math.cos((GRID_MAX_ABS_LAT * Math.PI) / 180));
  }

  get size(): number {
    return this.positions.size;
  }

  upsert(id: string, position: KnownPosition): void {
    const cell = this.cellOf(position.lat, position.lon);
    const previous = this.positions.get(id);
    if (previous && previous.cell !== cell) this.cells.get(previous.cell)?.delete(id);
    if (!previous || previous.cell !== cell) {
      let members = this.cells.get(cell);
      if (!members) {
        members = new Set();
        this.cells.set(cell, members);
      }
      members.add(id);
    }
    this.positions.set(id, { ...position, cell });
  }

  remove(id: string): void {
    const previous = this.positions.get(id);
    if (!previous) return;
    this.positions.delete(id);
    const members = this.cells.get(previous.cell);
    members?.delete(id);
    if (members?.size === 0) this.cells.delete(previous.cell);
  }

  /** The other twins within the radius, nearest first. */
  near(id: string): Neighbour[] {
    const self = this.positions.get(id);
    if (!self) return [];
    const neighbours: Neighbour[] = [];
    for (const otherId of this.candidates(self)) {
      if (otherId === id) continue;
      const other = this.positions.get(otherId) as KnownPosition;
      const distance = distanceM(self, other);
      if (distance <= this.radiusM) {
        neighbours.push({ id: otherId, distanceM: distance, relativeSpeed: other.speed - self.speed });
      }
    }
    return neighbours.sort((a, b) => a.distanceM - b.distanceM);
  }

  private *candidates(self: KnownPosition): Iterable<string> {
    if (Math.abs(self.lat) > GRID_MAX_ABS_LAT - 1) {
      yield* this.positions.keys();
      return;
    }
    const row = Math.floor(self.lat / this.cellLatDeg);
    const column = Math.floor(self.lon / this.cellLonDeg);
    for (let dRow = -1; dRow <= 1; dRow++) {
      for (let dColumn = -1; dColumn <= 1; dColumn++) {
        const members = this.cells.get(`${row + dRow}:${column + dColumn}`);
        if (members) yield* members;
      }
    }
  }

  private cellOf(lat: number, lon: number): string {
    return `${Math.floor(lat / this.cellLatDeg)}:${Math.floor(lon / this.cellLonDeg)}`;
  }
}
