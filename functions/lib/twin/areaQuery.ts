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
import { type Cell, type CellGrid, type CellVisit, EDGE_DEG, GRID_MAX_ABS_LAT, STRIDE } from "./cellGrid.ts";
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
    const { points, ids: cellIds, count } = cell;
    for (let i = 0; i < count; i++) {
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
      taken = takeInBox(cell, taken, box, ids);
    });
    ids.length = taken;
    return ids;
  }
  return twinsInBoxFromCells(grid, box);
}

/**
 * The cells overlapping the box, walked row by row without a callback per cell (a call per cell
 * cost more than reading its points). The answer is sized first (the cells' counts), then
 * written by index: a point inside advances the end by one, one outside is overwritten by the
 * next, so an edge cell's points are settled without a branch the CPU would mispredict.
 */
function twinsInBoxFromCells(grid: CellGrid, box: BBox): string[] {
  const { south, west, north, east } = box;
  const firstRow = grid.rowOf(south);
  const lastRow = grid.rowOf(north);
  let bound = 0;
  for (let row = firstRow; row <= lastRow; row++) {
    const columns = grid.columnsOf(row);
    if (columns === undefined) continue;
    const width = grid.widthOf(row);
    const last = Math.floor(east / width);
    for (let column = Math.floor(west / width); column <= last; column++) {
      bound += columns.get(column)?.count ?? 0;
    }
  }
  const ids = new Array<string>(bound);
  let taken = 0;
  for (let row = firstRow; row <= lastRow; row++) {
    const columns = grid.columnsOf(row);
    if (columns === undefined) continue;
    const width = grid.widthOf(row);
    const rowInside =
      row * grid.cellLatDeg - EDGE_DEG >= south && (row + 1) * grid.cellLatDeg + EDGE_DEG <= north;
    const last = Math.floor(east / width);
    for (let column = Math.floor(west / width); column <= last; column++) {
      const cell = columns.get(column);
      if (cell === undefined) continue;
      const inside =
        rowInside && column * width - EDGE_DEG >= west && (column + 1) * width + EDGE_DEG <= east;
      taken = inside ? takeAll(cell, taken, ids) : takeInBox(cell, taken, box, ids);
    }
  }
  ids.length = taken;
  return ids;
}

/** Writes the cell's ids from `at` on; answers the next free index. */
function takeAll(cell: Cell, at: number, ids: string[]): number {
  const { ids: cellIds, count } = cell;
  let next = at;
  for (let i = 0; i < count; i++) ids[next++] = cellIds[i] as string;
  return next;
}

/** Writes the ids of the cell's points inside the box from `at` on; answers the next free index. */
function takeInBox(cell: Cell, at: number, box: BBox, ids: string[]): number {
  const { south, west, north, east } = box;
  const { points, ids: cellIds, count } = cell;
  let next = at;
  for (let i = 0; i < count; i++) {
    const lat = points[i * STRIDE] as number;
    const lon = points[i * STRIDE + 1] as number;
    ids[next] = cellIds[i] as string;
    next += +(lat >= south) & +(lat <= north) & +(lon >= west) & +(lon <= east);
  }
  return next;
}

function pushAll(cell: Cell, ids: string[]): void {
  const { ids: cellIds, count } = cell;
  for (let i = 0; i < count; i++) ids.push(cellIds[i] as string);
}

function takeOnGreatCircle(cell: Cell, circle: Circle, ids: string[]): void {
  const { points, ids: cellIds, count } = cell;
  for (let i = 0; i < count; i++) {
    const at = i * STRIDE;
    if (
      distanceBetweenM(circle.lat, circle.lon, points[at] as number, points[at + 1] as number) <=
      circle.radiusM
    ) {
      ids.push(cellIds[i] as string);
    }
  }
}
