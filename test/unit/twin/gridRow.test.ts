import { describe, expect, it } from "vitest";
import { type Cell, type Member, Row, STRIDE } from "../../../functions/lib/twin/gridRow.ts";

/** Adds a twin to the cell at the column, as CellGrid.put does; answers its member. */
function addAt(line: Row, column: number, id: string, lat: number): Member {
  const cell = line.cellAt(column);
  const member: Member = { cell, slot: 0 };
  line.add(cell, member, id, lat, column, lat * 10);
  return member;
}

const runs = (line: Row) => line.cells.map((cell: Cell) => [cell.column, cell.start, cell.count]);

describe("Row", () => {
  it("keeps its cells' runs back to back in column order whatever order twins come in", () => {
    const line = new Row(7);
    const a = addAt(line, 5, "a", 1);
    const b = addAt(line, 2, "b", 2);
    const c = addAt(line, 9, "c", 3);
    const d = addAt(line, 5, "d", 4);
    const e = addAt(line, 2, "e", 5);
    expect(line.columns).toEqual([2, 5, 9]);
    expect(runs(line)).toEqual([
      [2, 0, 2],
      [5, 2, 2],
      [9, 4, 1],
    ]);
    // Column 5's first twin moved to the end of its run to make room for e in column 2.
    expect(line.ids).toEqual(["b", "e", "d", "a", "c"]);
    expect(line.points).toEqual([2, 2, 20, 5, 2, 50, 4, 5, 40, 1, 5, 10, 3, 9, 30]);
    expect([a, b, c, d, e].map((member) => member.slot)).toEqual([3, 0, 4, 2, 1]);
    expect(line.members.every((member, slot) => member === [b, e, d, a, c][slot])).toBe(true);
    expect(line.points.length).toBe(5 * STRIDE);
  });

  it("closes the gap a twin leaves, and drops a cell left empty", () => {
    const line = new Row(0);
    const a = addAt(line, 1, "a", 1);
    const b = addAt(line, 1, "b", 2);
    const c = addAt(line, 3, "c", 3);
    const d = addAt(line, 4, "d", 4);
    line.delete(a);
    expect(line.ids).toEqual(["b", "c", "d"]);
    expect(runs(line)).toEqual([
      [1, 0, 1],
      [3, 1, 1],
      [4, 2, 1],
    ]);
    expect([b, c, d].map((member) => member.slot)).toEqual([0, 1, 2]);
    line.delete(c);
    expect(line.columns).toEqual([1, 4]);
    expect(line.byColumn.has(3)).toBe(false);
    expect(line.ids).toEqual(["b", "d"]);
    expect(line.points).toEqual([2, 1, 20, 4, 4, 40]);
    expect(d.slot).toBe(1);
    expect(line.members.length).toBe(2);
    expect(line.members[0] === b && line.members[1] === d).toBe(true);
  });

  it("shifts a twin to another cell of the row, new or not, moving only the cells between", () => {
    const line = new Row(0);
    const a = addAt(line, 1, "a", 1);
    const b = addAt(line, 1, "b", 2);
    const c = addAt(line, 3, "c", 3);
    const d = addAt(line, 8, "d", 4);
    // a goes east into a new cell at column 5, between c's and d's: d does not move.
    line.shift(a, line.cellAt(5), 9, 5, 90);
    expect(line.ids).toEqual(["b", "c", "a", "d"]);
    expect(runs(line)).toEqual([
      [1, 0, 1],
      [3, 1, 1],
      [5, 2, 1],
      [8, 3, 1],
    ]);
    expect([a, b, c, d].map((member) => member.slot)).toEqual([2, 0, 1, 3]);
    expect(line.points.slice(2 * STRIDE, 3 * STRIDE)).toEqual([9, 5, 90]);
    // d goes west into a new cell at column 0: every cell between moves one slot east; column 8 empties and leaves.
    line.shift(d, line.cellAt(0), 7, 0, 70);
    expect(line.ids).toEqual(["d", "b", "c", "a"]);
    expect(runs(line)).toEqual([
      [0, 0, 1],
      [1, 1, 1],
      [3, 2, 1],
      [5, 3, 1],
    ]);
    expect(line.byColumn.has(8)).toBe(false);
    expect([a, b, c, d].map((member) => member.slot)).toEqual([3, 1, 2, 0]);
    expect(d.cell.column).toBe(0);
    expect(line.points).toEqual([7, 0, 70, 2, 1, 20, 3, 3, 30, 9, 5, 90]);
  });

  it("finds the first cell at or east of a column, and where its run starts", () => {
    const line = new Row(0);
    addAt(line, -4, "a", 1);
    addAt(line, 0, "b", 2);
    addAt(line, 0, "c", 3);
    addAt(line, 6, "d", 4);
    expect([-9, -4, -3, 0, 1, 6, 7].map((column) => line.firstCellFrom(column))).toEqual([
      0, 0, 1, 1, 2, 2, 3,
    ]);
    expect([0, 1, 2, 3].map((index) => line.startOf(index))).toEqual([0, 1, 3, 4]);
  });
});
