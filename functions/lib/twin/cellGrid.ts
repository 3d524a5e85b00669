/**
 * Where twins are, by cell of a grid of latitudes and longitudes about `cellM` wide: the storage
 * under NeighbourIndex (neighbours) and areaQuery.ts (near, bbox).
 *
 * Each row of the grid keeps the positions of all its twins side by side in one array of
 * numbers (latitude, longitude, speed of each; V8 stores such an array as unboxed doubles) and
 * their ids in another, cell after cell in column order: a cell is a run of slots in its row's
 * arrays. A query over a box reads, in each row, one contiguous block of memory that the CPU
 * streams in, instead of one block per cell found at random on the heap (a box query spent most
 * of its time waiting for those). Keeping the runs in order costs a twin that changes cell one
 * slot moved per cell between its old and its new place (`Row.open`, `Row.close`); an update
 * within a cell writes in place as before. Cells are found by row, then column (small integers
 * as map keys); a cell's bounds follow from its row and column, so a query can take or drop a
 * whole cell without looking at its points.
 */

const METRES_PER_DEGREE = 111_320;
/** Cells poleward of this are as wide (in degrees) as at this latitude, so that they stay finite. */
export const GRID_MAX_ABS_LAT = 85;
/** Degrees (about 0.1 mm): more than the rounding of a cell's bounds against its points' placing. */
export const EDGE_DEG = 1e-9;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** One twin's place: its cell and its slot in the cell's row (slots move as other twins come and go). */
export interface Member {
  cell: Cell;
  slot: number;
}

/** Numbers kept per point in `Row.points`: latitude, longitude, speed. */
export const STRIDE = 3;

/** One row of the grid: its twins, cell after cell in column order. */
export class Row {
  /** Slot i's latitude, longitude (degrees) and speed (m/s; 0 when unknown) at i * STRIDE. */
  readonly points: number[] = [];
  /** Slot i's twin id. */
  readonly ids: string[] = [];
  /** Slot i's member, to follow a twin whose slot moves. */
  readonly members: Member[] = [];
  /** The cells holding twins, by column, west to east. */
  readonly cells: Cell[] = [];
  /** Their columns, side by side: searched without reading a cell. */
  readonly columns: number[] = [];
  readonly byColumn = new Map<number, Cell>();

  constructor(readonly row: number) {}

  /** The index in `cells` of the first cell at or east of the column. */
  firstCellFrom(column: number): number {
    const { columns } = this;
    let low = 0;
    let high = columns.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((columns[middle] as number) < column) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The first slot of the cell at the index in `cells`; past the last cell, the row's end. */
  startOf(index: number): number {
    return index < this.cells.length ? (this.cells[index] as Cell).start : this.ids.length;
  }

  /** The cell at the column, made (empty) if there is none. */
  cellAt(column: number): Cell {
    const found = this.byColumn.get(column);
    if (found !== undefined) return found;
    const at = this.firstCellFrom(column);
    const next = this.cells[at];
    const cell = new Cell(this, column, next === undefined ? this.ids.length : next.start);
    this.cells.splice(at, 0, cell);
    this.columns.splice(at, 0, column);
    this.byColumn.set(column, cell);
    return cell;
  }

  /** Writes the point at the end of the cell's run; the slot is the member's. */
  add(cell: Cell, member: Member, id: string, lat: number, lon: number, speed: number): void {
    const slot = this.open(cell, member);
    this.write(slot, member, id);
    this.set(slot, lat, lon, speed);
    cell.count++;
    member.cell = cell;
  }

  set(slot: number, lat: number, lon: number, speed: number): void {
    const at = slot * STRIDE;
    this.points[at] = lat;
    this.points[at + 1] = lon;
    this.points[at + 2] = speed;
  }

  /** Empties the member's slot; a cell left empty leaves the row. */
  delete(member: Member): void {
    const cell = member.cell;
    const last = cell.start + cell.count - 1;
    if (member.slot !== last) this.move(last, member.slot);
    cell.count--;
    this.close(cell, last);
    if (cell.count === 0) {
      const at = this.firstCellFrom(cell.column);
      this.cells.splice(at, 1);
      this.columns.splice(at, 1);
      this.byColumn.delete(cell.column);
    }
  }

  /**
   * A free slot right after the cell's run: each later cell moves its first point to just past
   * its last, from the row's end back, and starts one slot later.
   */
  private open(cell: Cell, member: Member): number {
    let free = this.ids.length;
    this.points.push(0, 0, 0);
    this.ids.push("");
    this.members.push(member);
    for (let i = this.cells.length - 1; i >= 0; i--) {
      const later = this.cells[i] as Cell;
      if (later === cell) break;
      if (later.count > 0) this.move(later.start, free);
      free = later.start;
      later.start++;
    }
    return free;
  }

  /** Closes the free slot at `free` (just past the cell's run): each later cell moves its last point to just before its first. */
  private close(cell: Cell, free: number): void {
    let gap = free;
    for (let i = this.firstCellFrom(cell.column) + 1; i < this.cells.length; i++) {
      const later = this.cells[i] as Cell;
      const last = later.start + later.count - 1;
      this.move(last, gap);
      later.start--;
      gap = last;
    }
    this.points.length -= STRIDE;
    this.ids.pop();
    this.members.pop();
  }

  private move(from: number, to: number): void {
    const at = from * STRIDE;
    this.set(to, this.points[at] as number, this.points[at + 1] as number, this.points[at + 2] as number);
    const member = this.members[from] as Member;
    this.write(to, member, this.ids[from] as string);
  }

  private write(slot: number, member: Member, id: string): void {
    this.ids[slot] = id;
    this.members[slot] = member;
    member.slot = slot;
  }
}

/** A run of slots in its row: `count` twins from `start` on. */
export class Cell {
  count = 0;
  /** The row's arrays (shared by its cells): the cell's twins are slots start to start + count - 1. */
  readonly points: number[];
  readonly ids: string[];
  readonly row: number;

  constructor(
    readonly line: Row,
    readonly column: number,
    public start: number,
  ) {
    this.points = line.points;
    this.ids = line.ids;
    this.row = line.row;
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
      if (cell.row === row && cell.column === column) {
        // Through the cell's own reference to its row's points: one hop fewer on every update.
        const { points } = cell;
        const at = member.slot * STRIDE;
        points[at] = lat;
        points[at + 1] = lon;
        points[at + 2] = speed;
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
