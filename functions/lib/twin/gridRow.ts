/**
 * One row of the spatial grid (cellGrid.ts): its twins' positions and ids in one block each,
 * cell after cell in column order; a cell is a run of slots in its row.
 */

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
    insertAt(this.cells, at, cell);
    insertAt(this.columns, at, column);
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
    this.dropIfEmpty(cell);
  }

  /**
   * Moves the member to another cell of this row: only the cells between the two shift, by one
   * slot each (a twin crossing into the next column moves no other cell), where leaving and
   * joining would shift every cell east of either.
   */
  shift(member: Member, target: Cell, lat: number, lon: number, speed: number): void {
    const from = member.cell;
    const id = this.ids[member.slot] as string;
    const fromIndex = this.firstCellFrom(from.column);
    const targetIndex = this.firstCellFrom(target.column);
    let free: number;
    if (targetIndex > fromIndex) {
      // East: the member's slot goes to the end of its run, the cells between move one slot west.
      free = from.start + from.count - 1;
      if (member.slot !== free) this.move(free, member.slot);
      from.count--;
      for (let i = fromIndex + 1; i < targetIndex; i++) {
        const between = this.cells[i] as Cell;
        const last = between.start + between.count - 1;
        if (between.count > 0) this.move(last, free);
        between.start--;
        free = between.count > 0 ? last : between.start;
      }
      target.start--;
    } else {
      // West: the member's slot goes to the start of its run, the cells between move one slot east.
      free = from.start;
      if (member.slot !== free) this.move(free, member.slot);
      from.start++;
      from.count--;
      for (let i = fromIndex - 1; i > targetIndex; i--) {
        const between = this.cells[i] as Cell;
        if (between.count > 0) this.move(between.start, free);
        free = between.start;
        between.start++;
      }
    }
    this.write(free, member, id);
    this.set(free, lat, lon, speed);
    target.count++;
    member.cell = target;
    this.dropIfEmpty(from);
  }

  private dropIfEmpty(cell: Cell): void {
    if (cell.count > 0) return;
    const at = this.firstCellFrom(cell.column);
    removeAt(this.cells, at);
    removeAt(this.columns, at);
    this.byColumn.delete(cell.column);
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
    // Three pops: shrinking by setting the length goes through the runtime, far slower.
    this.points.pop();
    this.points.pop();
    this.points.pop();
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

  /** Writes a point of this cell in place, through the cell's own reference to its row's points (one hop fewer than through the row). */
  set(slot: number, lat: number, lon: number, speed: number): void {
    const at = slot * STRIDE;
    this.points[at] = lat;
    this.points[at + 1] = lon;
    this.points[at + 2] = speed;
  }
}

// By hand rather than with splice, which makes an array of what it removes on every call.
function insertAt<T>(items: T[], at: number, item: T): void {
  items.push(item);
  for (let i = items.length - 1; i > at; i--) items[i] = items[i - 1] as T;
  items[at] = item;
}

function removeAt<T>(items: T[], at: number): void {
  for (let i = at; i < items.length - 1; i++) items[i] = items[i + 1] as T;
  items.pop();
}
