/**
 * Twins in an area, answered from a MEC's NeighbourIndex (the grid that finds neighbours): a
 * circle (`near`) or a box of latitudes and longitudes (`bbox`). The answer is exact, the twins'
 * ids in no particular order.
 *
 * Only the cells that overlap the area are visited. A cell wholly inside the area is taken
 * whole, without looking at its points; one wholly outside a circle is dropped the same way.
 * Points of the cells cut by a circle's edge are measured on a flat-earth approximation first,
 * which settles all but those within a hair of the edge; those get the great-circle distance.
 * Where the grid cannot serve (near a pole, across the antimeridian, an area wider than there
 * are twins, a radius beyond FLAT_MAX_REACH_M) every point is measured on the great circle.
 */
import { distanceBetweenM, EARTH_RADIUS_M } from "../geo/sphere.ts";
import type { BBox } from "../geo/types.ts";
import { type CellGrid, type CellVisit, EDGE_DEG, GRID_MAX_ABS_LAT } from "./cellGrid.ts";
import { type Cell, type Row, STRIDE } from "./gridRow.ts";
import type { NeighbourIndex } from "./neighbours.ts";
import type { Circle } from "./state/twinQuery.ts";

export type { Circle };

const METRES_PER_DEGREE = 111_320;
/** The box of latitudes and longitudes around a circle is widened by this (degrees are not quite flat). */
const BOX_SLACK = 1.02;
const FLAT_MAX_REACH_M = 10_000;
/** Metres: the rounding of distances near zero, where ratios mean nothing. */
const ROUNDING_M = 0.001;
/**
 * Flat metres over great-circle metres, or the other way round, is at most FLAT_SLACK_BASE plus
 * tan(latitude) times radius over the Earth's radius, within FLAT_MAX_REACH_M below
 * GRID_MAX_ABS_LAT: 111,320 m a degree is 0.11% more than a degree of the great circle, the
 * cosine of the centre's latitude stands for that of the points' (which differ by at most
 * tan(latitude) * radius / 2R, relatively), and the rest (curvature) is below 0.01%.
 */
const FLAT_SLACK_BASE = 1.0022;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** The twins whose great-circle distance from the centre is at most the radius. */
export function twinsWithin(index: NeighbourIndex, circle: Circle): string[] {
  const { lat, lon, radiusM } = circle;
  const ids: string[] = [];
  const latDeg = (radiusM * BOX_SLACK) / METRES_PER_DEGREE;
  const poleward = Math.abs(lat) + latDeg;
  const lonDeg = latDeg / Math.cos(toRadians(Math.min(poleward, GRID_MAX_ABS_LAT)));
  const west = lon - lonDeg;
  const east = lon + lonDeg;
  if (radiusM > FLAT_MAX_REACH_M || poleward >= GRID_MAX_ABS_LAT || west < -180 || east > 180) {
    index.grid.forEachCell((cell) => takeOnGreatCircle(cell, circle, ids));
    return ids;
  }
  const slack = FLAT_SLACK_BASE + (Math.tan(toRadians(poleward)) * radiusM) / EARTH_RADIUS_M;
  // Flat within `inner`: on the great circle within the radius; beyond `outer`: beyond it.
  const inner = (radiusM - ROUNDING_M) / slack;
  const outer = (radiusM + ROUNDING_M) * slack;
  const innerSquared = inner > 0 ? inner * inner : -1;
  const outerSquared = outer * outer;
  const metresPerDegreeLon = METRES_PER_DEGREE * Math.cos(toRadians(lat));
  const visit: CellVisit = (cell, south, cellWest, north, cellEast) => {
    const dySouth = (south - EDGE_DEG - lat) * METRES_PER_DEGREE;
    const dyNorth = (north + EDGE_DEG - lat) * METRES_PER_DEGREE;
    const dxWest = (cellWest - EDGE_DEG - lon) * metresPerDegreeLon;
    const dxEast = (cellEast + EDGE_DEG - lon) * metresPerDegreeLon;
    const farY = Math.max(-dySouth, dyNorth);
    const farX = Math.max(-dxWest, dxEast);
    if (farX * farX + farY * farY <= innerSquared) {
      pushAll(cell, ids);
      return;
    }
    const nearY = dySouth > 0 ? dySouth : dyNorth < 0 ? -dyNorth : 0;
    const nearX = dxWest > 0 ? dxWest : dxEast < 0 ? -dxEast : 0;
    if (nearX * nearX + nearY * nearY > outerSquared) return;
    const { points, ids: cellIds, start } = cell;
    const end = start + cell.count;
    for (let i = start; i < end; i++) {
      const pointLat = points[i * STRIDE] as number;
      const pointLon = points[i * STRIDE + 1] as number;
      const dy = (pointLat - lat) * METRES_PER_DEGREE;
      const dx = (pointLon - lon) * metresPerDegreeLon;
      const squared = dx * dx + dy * dy;
      if (squared > outerSquared) continue;
      if (squared <= innerSquared || distanceBetweenM(lat, lon, pointLat, pointLon) <= radiusM) {
        ids.push(cellIds[i] as string);
      }
    }
  };
  if (!index.grid.forEachCellIn(lat - latDeg, west, lat + latDeg, east, visit)) {
    index.grid.forEachCell(visit);
  }
  return ids;
}

/** The twins inside the box, edges included. The box must not wrap: west <= east. */
export function twinsInBox(index: NeighbourIndex, box: BBox): string[] {
  const { grid } = index;
  const { south, west, north, east } = box;
  if (
    Math.max(Math.abs(south), Math.abs(north)) >= GRID_MAX_ABS_LAT ||
    grid.spansMoreCellsThanTwins(south, west, north, east)
  ) {
    const ids = new Array<string>(grid.size);
    let taken = 0;
    grid.forEachCell((cell) => {
      taken = takeInBox(cell.line, cell.start, cell.start + cell.count, taken, box, ids);
    });
    ids.length = taken;
    return ids;
  }
  return twinsInBoxFromCells(grid, box);
}

/**
 * The cells overlapping the box: in each row one run of slots, read front to back. In a row
 * wholly inside the box only the westmost and eastmost columns need their points looked at;
 * the run between is taken whole. The answer is sized first (the runs' lengths), then written
 * by index: a point inside advances the end by one, one outside is overwritten by the next, so
 * points are settled without a branch the CPU would mispredict.
 */
function twinsInBoxFromCells(grid: CellGrid, box: BBox): string[] {
  const { south, west, north, east } = box;
  const firstRow = grid.rowOf(south);
  const lastRow = grid.rowOf(north);
  let bound = 0;
  for (let row = firstRow; row <= lastRow; row++) {
    const line = grid.rowAt(row);
    if (line === undefined) continue;
    const width = grid.widthOf(row);
    bound +=
      line.startOf(line.firstCellFrom(Math.floor(east / width) + 1)) -
      line.startOf(line.firstCellFrom(Math.floor(west / width)));
  }
  const ids = new Array<string>(bound);
  let taken = 0;
  for (let row = firstRow; row <= lastRow; row++) {
    const line = grid.rowAt(row);
    if (line === undefined) continue;
    const width = grid.widthOf(row);
    const westColumn = Math.floor(west / width);
    const eastColumn = Math.floor(east / width);
    const first = line.firstCellFrom(westColumn);
    const after = line.firstCellFrom(eastColumn + 1);
    const start = line.startOf(first);
    const end = line.startOf(after);
    const rowInside =
      row * grid.cellLatDeg - EDGE_DEG >= south && (row + 1) * grid.cellLatDeg + EDGE_DEG <= north;
    if (!rowInside || eastColumn - westColumn < 2) {
      taken = takeInBox(line, start, end, taken, box, ids);
      continue;
    }
    // The westmost and eastmost columns are cut by the box's edges (or just touch them): looked at point by point.
    const inner = line.columns[first] === westColumn ? line.startOf(first + 1) : start;
    const innerEnd = after > first && line.columns[after - 1] === eastColumn ? line.startOf(after - 1) : end;
    taken = takeInBox(line, start, inner, taken, box, ids);
    taken = takeAll(line, inner, innerEnd, taken, ids);
    taken = takeInBox(line, innerEnd, end, taken, box, ids);
  }
  ids.length = taken;
  return ids;
}

/** Writes the ids of the slots from start to end - 1 from `at` on; answers the next free index. */
function takeAll(line: Row, start: number, end: number, at: number, ids: string[]): number {
  const lineIds = line.ids;
  let next = at;
  for (let i = start; i < end; i++) ids[next++] = lineIds[i] as string;
  return next;
}

/** Writes the ids of the slots from start to end - 1 inside the box from `at` on; answers the next free index. */
function takeInBox(line: Row, start: number, end: number, at: number, box: BBox, ids: string[]): number {
  const { south, west, north, east } = box;
  const { points, ids: lineIds } = line;
  let next = at;
  for (let i = start; i < end; i++) {
    const lat = points[i * STRIDE] as number;
    const lon = points[i * STRIDE + 1] as number;
    ids[next] = lineIds[i] as string;
    next += +(lat >= south) & +(lat <= north) & +(lon >= west) & +(lon <= east);
  }
  return next;
}

function pushAll(cell: Cell, ids: string[]): void {
  const { ids: cellIds, start } = cell;
  const end = start + cell.count;
  for (let i = start; i < end; i++) ids.push(cellIds[i] as string);
}

function takeOnGreatCircle(cell: Cell, circle: Circle, ids: string[]): void {
  const { points, ids: cellIds, start } = cell;
  const end = start + cell.count;
  for (let i = start; i < end; i++) {
    const at = i * STRIDE;
    if (
      distanceBetweenM(circle.lat, circle.lon, points[at] as number, points[at + 1] as number) <=
      circle.radiusM
    ) {
      ids.push(cellIds[i] as string);
    }
  }
}
