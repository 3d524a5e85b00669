import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CellGrid, EDGE_DEG } from "../../../functions/lib/twin/cellGrid.ts";
import { type Cell, type Member, type Row, STRIDE } from "../../../functions/lib/twin/gridRow.ts";

/** The twin's latitude, longitude and speed as its cell holds them. */
function pointOf(grid: CellGrid, id: string): [number, number, number] | undefined {
  const member = grid.member(id);
  if (member === undefined) return undefined;
  const at = member.slot * STRIDE;
  const { points, ids } = member.cell;
  expect(ids[member.slot]).toBe(id);
  return [points[at] as number, points[at + 1] as number, points[at + 2] as number];
}

function idsOf(cell: Cell | undefined): string[] {
  return cell ? cell.ids.slice(cell.start, cell.start + cell.count) : [];
}

/** The cell's points as [latitude, longitude, speed] each, in slot order. */
function pointsOf(cell: Cell): number[] {
  return cell.points.slice(cell.start * STRIDE, (cell.start + cell.count) * STRIDE);
}

/**
 * What the row-packed storage must keep after any change: each row's cells in column order,
 * their runs back to back from slot 0 to the row's end, and each slot's member pointing at it.
 */
function expectRowsPacked(grid: CellGrid): void {
  const rows = new Set<number>();
  grid.forEachCell((cell) => {
    rows.add(cell.row);
  });
  for (const row of rows) {
    const line = grid.rowAt(row) as Row;
    let next = 0;
    let column = Number.NEGATIVE_INFINITY;
    for (const cell of line.cells) {
      expect(cell.column).toBeGreaterThan(column);
      expect(cell.start).toBe(next);
      expect(cell.count).toBeGreaterThan(0);
      expect(line.byColumn.get(cell.column)).toBe(cell);
      expect(line.columns[line.cells.indexOf(cell)]).toBe(cell.column);
      for (let slot = cell.start; slot < cell.start + cell.count; slot++) {
        const member = grid.member(line.ids[slot] as string) as Member;
        expect(member.cell).toBe(cell);
        expect(member.slot).toBe(slot);
        expect(line.members[slot]).toBe(member);
      }
      column = cell.column;
      next += cell.count;
    }
    expect(line.ids.length).toBe(next);
    expect(line.points.length).toBe(next * STRIDE);
    expect(line.members.length).toBe(next);
    expect(line.byColumn.size).toBe(line.cells.length);
    expect(line.columns.length).toBe(line.cells.length);
  }
}

describe("CellGrid", () => {
  // 100 m cells: 100 / 111,320 degrees of latitude a row.
  const cellM = 100;

  it("keeps each cell's points side by side, and fills a freed slot with the cell's last point", () => {
    const grid = new CellGrid(cellM);
    grid.put("a", 40.64001, -8.65001, 1);
    grid.put("b", 40.64002, -8.65002, 2);
    grid.put("c", 40.64003, -8.65003, 3);
    const member = grid.member("a");
    const cell = member?.cell as Cell;
    expect(cell.row).toBe(Math.floor(40.64001 / (cellM / 111_320)));
    expect(idsOf(cell)).toEqual(["a", "b", "c"]);
    expect(pointsOf(cell)).toEqual([40.64001, -8.65001, 1, 40.64002, -8.65002, 2, 40.64003, -8.65003, 3]);
    grid.remove("a");
    expect(idsOf(cell)).toEqual(["c", "b"]);
    expect(pointsOf(cell)).toEqual([40.64003, -8.65003, 3, 40.64002, -8.65002, 2]);
    expect(grid.member("c")?.slot).toBe(0);
    expect(pointOf(grid, "c")).toEqual([40.64003, -8.65003, 3]);
    expect(pointOf(grid, "b")).toEqual([40.64002, -8.65002, 2]);
    expect(grid.member("a")).toBeUndefined();
    expect(grid.size).toBe(2);
  });

  it("updates a twin in place while it stays in its cell, and moves it when it leaves", () => {
    const grid = new CellGrid(cellM);
    grid.put("a", 40.64001, -8.65001, 1);
    grid.put("b", 40.64002, -8.65002, 2);
    const before = grid.member("b");
    grid.put("b", 40.640025, -8.650025, 5);
    expect(grid.member("b")).toBe(before);
    expect(pointOf(grid, "b")).toEqual([40.640025, -8.650025, 5]);
    const home = before?.cell as Cell;
    // About 1.1 km north: another row.
    grid.put("b", 40.65, -8.65002, 6);
    const away = grid.member("b")?.cell as Cell;
    expect(away).not.toBe(home);
    expect(away.row).toBeGreaterThan(home.row);
    expect(idsOf(home)).toEqual(["a"]);
    expect(idsOf(away)).toEqual(["b"]);
    expect(pointOf(grid, "b")).toEqual([40.65, -8.65002, 6]);
    grid.remove("b");
    expect(grid.cellAt(away.row, away.column)).toBeUndefined();
    expect(grid.columnsOf(away.row)).toBeUndefined();
    expect(grid.cellAt(home.row, home.column)).toBe(home);
  });

  it("holds many points in one cell without losing one", () => {
    const grid = new CellGrid(cellM);
    for (let i = 0; i < 37; i++) grid.put(`t${i}`, 40.64 + i * 1e-7, -8.65 - i * 1e-7, i);
    const cell = grid.member("t0")?.cell as Cell;
    expect(cell.count).toBe(37);
    expect(pointsOf(cell).length).toBe(37 * STRIDE);
    for (let i = 0; i < 37; i++)
      expect(pointOf(grid, `t${i}`)).toEqual([40.64 + i * 1e-7, -8.65 - i * 1e-7, i]);
  });

  it("visits the cells over a box with bounds that hold their points, or declines a box wider than there are twins", () => {
    const grid = new CellGrid(cellM);
    grid.put("in", 40.641, -8.651, 0);
    grid.put("edge", 40.6425, -8.6475, 0);
    grid.put("out", 40.7, -8.651, 0);
    const visited: string[] = [];
    const answered = grid.forEachCellIn(40.64, -8.652, 40.643, -8.647, (cell, south, west, north, east) => {
      for (let i = cell.start; i < cell.start + cell.count; i++) {
        const lat = cell.points[i * STRIDE] as number;
        const lon = cell.points[i * STRIDE + 1] as number;
        expect(lat).toBeGreaterThanOrEqual(south - EDGE_DEG);
        expect(lat).toBeLessThanOrEqual(north + EDGE_DEG);
        expect(lon).toBeGreaterThanOrEqual(west - EDGE_DEG);
        expect(lon).toBeLessThanOrEqual(east + EDGE_DEG);
        visited.push(cell.ids[i] as string);
      }
    });
    expect(answered).toBe(false); // about 4 x 5 cells for 3 twins: a walk through all is cheaper
    for (let i = 0; i < 30; i++) grid.put(`more${i}`, 10 + i, 10, 0);
    expect(grid.forEachCellIn(40.64, -8.652, 40.643, -8.647, (cell) => visited.push(...idsOf(cell)))).toBe(
      true,
    );
    expect(visited.sort()).toEqual(["edge", "in"]);
    const all: string[] = [];
    grid.forEachCell((cell) => all.push(...idsOf(cell)));
    expect(all.length).toBe(33);
  });

  it("keeps a row's cells back to back in column order, and shifts the later ones when a twin comes or goes", () => {
    const grid = new CellGrid(cellM);
    const width = grid.widthOf(grid.rowOf(40.64001));
    // Three cells of one row, about 100 m apart west to east: columns c, c + 1, c + 2.
    const lonOf = (step: number, i: number) => (Math.floor(-8.65 / width) + step + 0.5) * width + i * 1e-7;
    grid.put("west", 40.64001, lonOf(0, 0), 1);
    grid.put("east", 40.64001, lonOf(2, 0), 3);
    grid.put("middle", 40.64001, lonOf(1, 0), 2);
    grid.put("west2", 40.64001, lonOf(0, 1), 4);
    const line = grid.rowAt(grid.rowOf(40.64001)) as Row;
    expect(line.ids).toEqual(["west", "west2", "middle", "east"]);
    expect(line.cells.map((cell) => [cell.start, cell.count])).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(line.points.slice(2 * STRIDE)).toEqual([40.64001, lonOf(1, 0), 2, 40.64001, lonOf(2, 0), 3]);
    // west moves east along its row: west2 takes its slot, the middle cell moves one slot west
    // and west joins the east cell at the front of its run; the east cell's other twin stays put.
    grid.put("west", 40.64001, lonOf(2, 1), 5);
    expect(line.ids).toEqual(["west2", "middle", "west", "east"]);
    expect(line.cells.map((cell) => [cell.start, cell.count])).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
    ]);
    expect(pointOf(grid, "west")).toEqual([40.64001, lonOf(2, 1), 5]);
    expect(grid.member("east")?.slot).toBe(3);
    expectRowsPacked(grid);
    // And back west: it joins the west cell at the end of its run, the middle cell moves one slot east.
    grid.put("west", 40.64001, lonOf(0, 2), 6);
    expect(line.ids).toEqual(["west2", "west", "middle", "east"]);
    expect(line.cells.map((cell) => [cell.start, cell.count])).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    expect(pointOf(grid, "west")).toEqual([40.64001, lonOf(0, 2), 6]);
    expectRowsPacked(grid);
    // The middle cell empties: it leaves the row, the east cell moves into its place.
    grid.remove("middle");
    expect(line.ids).toEqual(["west2", "west", "east"]);
    const westColumn = line.columns[0] as number;
    expect(line.columns).toEqual([westColumn, westColumn + 2]);
    expect(line.cells.map((cell) => [cell.column - westColumn, cell.start, cell.count])).toEqual([
      [0, 0, 2],
      [2, 2, 1],
    ]);
    expect(line.points).toEqual([
      40.64001,
      lonOf(0, 1),
      4,
      40.64001,
      lonOf(0, 2),
      6,
      40.64001,
      lonOf(2, 0),
      3,
    ]);
    expectRowsPacked(grid);
  });

  it("rejects a cell width that is not a positive number of metres", () => {
    expect(() => new CellGrid(0)).toThrow(/positive number of metres/);
    expect(() => new CellGrid(Number.NaN)).toThrow(/positive number of metres/);
  });

  it("holds the latest position of every twin after any puts and removals", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("put" as const),
        id: fc.integer({ min: 0, max: 15 }),
        lat: fc.double({ min: 40.6, max: 40.62, noNaN: true }),
        lon: fc.double({ min: -8.66, max: -8.64, noNaN: true }),
        speed: fc.double({ min: 0, max: 40, noNaN: true }),
      }),
      fc.record({ kind: fc.constant("remove" as const), id: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 5, max: 2_000 }), (ops, width) => {
        const grid = new CellGrid(width);
        const model = new Map<string, [number, number, number]>();
        for (const o of ops) {
          if (o.kind === "put") {
            grid.put(`t${o.id}`, o.lat, o.lon, o.speed);
            model.set(`t${o.id}`, [o.lat, o.lon, o.speed]);
          } else {
            grid.remove(`t${o.id}`);
            model.delete(`t${o.id}`);
          }
        }
        expect(grid.size).toBe(model.size);
        for (const [id, point] of model) expect(pointOf(grid, id)).toEqual(point);
        const listed: string[] = [];
        grid.forEachCell((cell) => {
          expect(cell.count).toBeGreaterThan(0);
          listed.push(...idsOf(cell));
        });
        expect(listed.sort()).toEqual([...model.keys()].sort());
        expectRowsPacked(grid);
      }),
      { numRuns: 300 },
    );
  });
});
