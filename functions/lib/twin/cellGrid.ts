/**
 * Where twins are, by cell of a grid of latitudes and longitudes about `cellM` wide: the storage
 * under NeighbourIndex (neighbours) and areaQuery.ts (near, bbox).
 *
 * Each cell keeps its twins' positions side by side in one array of numbers (latitude,
 * longitude, speed of each; V8 stores such an array as unboxed doubles) and their ids in another,
 * so a query reads a cell's points from two contiguous blocks of memory instead of following one
 * pointer per twin to objects spread over the heap. (A Float64Array per cell was no faster to
 * read and slower to update: its memory lies outside the heap, one more hop away.) Cells are
 * found by row, then column (small integers as map keys); a cell's bounds follow from its row and
 * column, so a query can take or drop a whole cell without looking at its points.
 */

const METRES_PER_DEGREE = 111_320;
/** Cells poleward of this are as wide (in degrees) as at this latitude, so that they stay finite. */
export const GRID_MAX_ABS_LAT = 85;
/** Degrees (about 0.1 mm): more than the rounding of a cell's bounds against its points' placing. */
export const EDGE_DEG = 1e-9;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** One twin's place: its cell and its slot there (removal moves the cell's last twin into the slot). */
export interface Member {
  cell: Cell;
  slot: number;
}

/** Numbers kept per point in `Cell.points`: latitude, longitude, speed. */
export const STRIDE = 3;

export class Cell {
  count = 0;
  /** Slot i's latitude, longitude (degrees) and speed (m/s; 0 when unknown) at i * STRIDE. */
  readonly points: number[] = [];
  /** Slot i's twin id; slots 0 to count - 1 are the twins in the cell. */
  readonly ids: string[] = [];

  constructor(
    readonly row: number,
    readonly column: number,
  ) {}

  /** The slot the point takes. */
  add(id: string, lat: number, lon: number, speed: number): number {
    const slot = this.count++;
    this.points.push(lat, lon, speed);
    this.ids.push(id);
    return slot;
  }

  set(slot: number, lat: number, lon: number, speed: number): void {
    const at = slot * STRIDE;
    this.points[at] = lat;
    this.points[at + 1] = lon;
    this.points[at + 2] = speed;
  }

  /** Empties the slot: the last point moves into it; answers that point's id (undefined if none moved). */
  delete(slot: number): string | undefined {
    const last = --this.count;
    const movedId = this.ids.pop() as string;
    const speed = this.points.pop() as number;
    const lon = this.points.pop() as number;
    const lat = this.points.pop() as number;
    if (slot === last) return undefined;
    this.set(slot, lat, lon, speed);
    this.ids[slot] = movedId;
    return movedId;
  }
}

/**
 * Called with a cell and its bounds in degrees: its points lie within them, give or take the
 * rounding of the division that placed them (callers widen the bounds by EDGE_DEG).
 */
export type CellVisit = (cell: Cell, south: number, west: number, north: number, east: number) => void;

export class CellGrid {
  /** Degrees of latitude per row. */
  readonly cellLatDeg: number;
  private readonly members = new Map<string, Member>();
  /** Row, then column, to the cell (a row's map exists only while it holds a cell). */
  private readonly rows = new Map<number, Map<number, Cell>>();

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
    const member = this.members.get(id);
    if (member !== undefined) {
      const cell = member.cell;
      if (cell.row === row && cell.column === column) {
        cell.set(member.slot, lat, lon, speed);
        return;
      }
      this.leave(member);
    }
    let columns = this.rows.get(row);
    if (columns === undefined) {
      columns = new Map();
      this.rows.set(row, columns);
    }
    let cell = columns.get(column);
    if (cell === undefined) {
      cell = new Cell(row, column);
      columns.set(column, cell);
    }
    const slot = cell.add(id, lat, lon, speed);
    if (member === undefined) {
      this.members.set(id, { cell, slot });
    } else {
      member.cell = cell;
      member.slot = slot;
    }
  }

  remove(id: string): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    this.members.delete(id);
    this.leave(member);
  }

  /** The cell at row and column, if it holds a twin. */
  cellAt(row: number, column: number): Cell | undefined {
    return this.rows.get(row)?.get(column);
  }

  /** The columns of a row that hold twins. */
  columnsOf(row: number): Map<number, Cell> | undefined {
    return this.rows.get(row);
  }

  /**
   * Visits the cells that hold twins and overlap a box of latitudes and longitudes (west <= east,
   * no wrap), or answers false without visiting when the box spans more cells than there are
   * twins: going through every cell (`forEachCell`) is then cheaper.
   */
  forEachCellIn(south: number, west: number, north: number, east: number, visit: CellVisit): boolean {
    if (this.spansMoreCellsThanTwins(south, west, north, east)) return false;
    const firstRow = Math.floor(south / this.cellLatDeg);
    const lastRow = Math.floor(north / this.cellLatDeg);
    for (let row = firstRow; row <= lastRow; row++) {
      const columns = this.rows.get(row);
      if (columns === undefined) continue;
      const width = this.widthOf(row);
      const rowSouth = row * this.cellLatDeg;
      const rowNorth = (row + 1) * this.cellLatDeg;
      const last = Math.floor(east / width);
      for (let column = Math.floor(west / width); column <= last; column++) {
        const cell = columns.get(column);
        if (cell !== undefined) visit(cell, rowSouth, column * width, rowNorth, (column + 1) * width);
      }
    }
    return true;
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

  /** Visits every cell that holds twins. */
  forEachCell(visit: CellVisit): void {
    for (const [row, columns] of this.rows) {
      const width = this.widthOf(row);
      for (const [column, cell] of columns) {
        visit(cell, row * this.cellLatDeg, column * width, (row + 1) * this.cellLatDeg, (column + 1) * width);
      }
    }
  }

  private leave(member: Member): void {
    const cell = member.cell;
    const movedId = cell.delete(member.slot);
    if (movedId !== undefined) (this.members.get(movedId) as Member).slot = member.slot;
    if (cell.count === 0) {
      const columns = this.rows.get(cell.row);
      columns?.delete(cell.column);
      if (columns?.size === 0) this.rows.delete(cell.row);
    }
  }
}
