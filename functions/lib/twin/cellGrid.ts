/**
 * Where twins are, by cell of a grid of latitudes and longitudes about `cellM` wide: the storage
 * under NeighbourIndex (neighbours) and areaQuery.ts (near, bbox).
 *
 * Each row of the grid keeps the positions of all its twins side by side in one array of
 * numbers (latitude, longitude, speed of each; V8 stores such an array as unboxed doubles) and
 * their ids in another, cell after cell in column order: a cell is a run of slots in its row's
 * arrays (gridRow.ts). A query over a box reads, in each row, one contiguous block of memory
 * that the CPU streams in, instead of one block per cell found at random on the heap (waiting
 * for those costs a box query more than reading its points). Keeping the runs in order costs a
 * twin that changes cell one slot moved per cell between its old and its new cell in the row
 * (per cell east of each, when it changes row); an update within a cell writes in place. Cells are found by row, then column (small integers
 * as map keys); a cell's bounds follow from its row and column, so a query can take or drop a
 * whole cell without looking at its points.
 */

import { type Cell, type Member, Row } from "./gridRow.ts";

const METRES_PER_DEGREE = 111_320;
/** Cells poleward of this are as wide (in degrees) as at this latitude, so that they stay finite. */
export const GRID_MAX_ABS_LAT = 85;
/** Degrees (about 0.1 mm): more than the rounding of a cell's bounds against its points' placing. */
export const EDGE_DEG = 1e-9;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/**
 * Called with a cell and its bounds in degrees: its points lie within them, give or take the
 * rounding of the division that placed them (callers widen the bounds by EDGE_DEG).
 */
export type CellVisit = (cell: Cell, south: number, west: number, north: number, east: number) => void;

export class CellGrid {
  /** Degrees of latitude per row. */
  readonly cellLatDeg: number;
  private readonly members = new Map<string, Member>();
  /** The rows that hold twins. */
  private readonly rows = new Map<number, Row>();

  constructor(readonly cellM: number) {
    if (!(cellM > 0 && Number.isFinite(cellM)))
      throw new Error(`grid cells must be a positive number of metres wide, got ${cellM}`);
    this.cellLatDeg = cellM / METRES_PER_DEGREE;
  }

  get size(): number {
    return this.members.size;
  }

  /** Where the twin is, if it has a known position. */
  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  rowOf(lat: number): number {
    return Math.floor(lat / this.cellLatDeg);
  }

  /** Cells are about cellM wide at their row's poleward edge (capped at GRID_MAX_ABS_LAT). */
  widthOf(row: number): number {
    const polewardEdge = Math.max(Math.abs(row), Math.abs(row + 1)) * this.cellLatDeg;
    const latitude = Math.min(GRID_MAX_ABS_LAT, polewardEdge);
    return this.cellM / (METRES_PER_DEGREE * Math.cos(toRadians(latitude)));
  }

  /** Places the twin, or moves it: in place while it stays in its cell (no object made). */
  put(id: string, lat: number, lon: number, speed: number): void {
    const row = Math.floor(lat / this.cellLatDeg);
    const column = Math.floor(lon / this.widthOf(row));
    let member = this.members.get(id);
    if (member !== undefined) {
      const cell = member.cell;
      if (cell.row === row) {
        if (cell.column === column) cell.set(member.slot, lat, lon, speed);
        else cell.line.shift(member, cell.line.cellAt(column), lat, lon, speed);
        return;
      }
      this.leave(member);
    }
    let line = this.rows.get(row);
    if (line === undefined) {
      line = new Row(row);
      this.rows.set(row, line);
    }
    const cell = line.cellAt(column);
    if (member === undefined) {
      member = { cell, slot: 0 };
      this.members.set(id, member);
    }
    line.add(cell, member, id, lat, lon, speed);
  }

  remove(id: string): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    this.members.delete(id);
    this.leave(member);
  }

  /** The cell at row and column, if it holds a twin. */
  cellAt(row: number, column: number): Cell | undefined {
    return this.rows.get(row)?.byColumn.get(column);
  }

  /** The columns of a row that hold twins. */
  columnsOf(row: number): Map<number, Cell> | undefined {
    return this.rows.get(row)?.byColumn;
  }

  /** The row, if it holds twins. */
  rowAt(row: number): Row | undefined {
    return this.rows.get(row);
  }

  /** Whether a box (west <= east, no wrap) spans more cells than there are twins: visiting every cell is then cheaper. */
  spansMoreCellsThanTwins(south: number, west: number, north: number, east: number): boolean {
    const lastRow = Math.floor(north / this.cellLatDeg);
    let cells = 0;
    for (let row = Math.floor(south / this.cellLatDeg); row <= lastRow; row++) {
      const width = this.widthOf(row);
      cells += Math.floor(east / width) - Math.floor(west / width) + 1;
      if (cells > this.members.size) return true;
    }
    return false;
  }

  /**
   * Visits the cells that hold twins and overlap a box of latitudes and longitudes (west <= east,
   * no wrap), west to east in each row, or answers false without visiting when the box spans
   * more cells than there are twins: going through every cell (`forEachCell`) is then cheaper.
   */
  forEachCellIn(south: number, west: number, north: number, east: number, visit: CellVisit): boolean {
    if (this.spansMoreCellsThanTwins(south, west, north, east)) return false;
    const lastRow = Math.floor(north / this.cellLatDeg);
    for (let row = Math.floor(south / this.cellLatDeg); row <= lastRow; row++) {
      const line = this.rows.get(row);
      if (line === undefined) continue;
      const width = this.widthOf(row);
      const rowSouth = row * this.cellLatDeg;
      const rowNorth = (row + 1) * this.cellLatDeg;
      const last = Math.floor(east / width);
      const { cells } = line;
      for (let i = line.firstCellFrom(Math.floor(west / width)); i < cells.length; i++) {
        const cell = cells[i] as Cell;
        const column = cell.column;
        if (column > last) break;
        visit(cell, rowSouth, column * width, rowNorth, (column + 1) * width);
      }
    }
    return true;
  }

  /** Visits every cell that holds twins. */
  forEachCell(visit: CellVisit): void {
    for (const [row, line] of this.rows) {
      const width = this.widthOf(row);
      for (const cell of line.cells) {
        const column = cell.column;
        visit(cell, row * this.cellLatDeg, column * width, (row + 1) * this.cellLatDeg, (column + 1) * width);
      }
    }
  }

  private leave(member: Member): void {
    const line = member.cell.line;
    line.delete(member);
    if (line.cells.length === 0) this.rows.delete(line.row);
  }
}
