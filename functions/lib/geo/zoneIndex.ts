/**
 * ZoneIndex: which zones contain a point, for many zones, fast.
 *
 * At build time the zones' bounding box is cut into a uniform grid. Each cell keeps the zones
 * that can contain points in it, each marked either "covers the whole cell" (no edge of the
 * zone comes near the cell, and the cell centre is inside), answered without any geometry, or
 * "partial", answered with the exact point-in-polygon. Answers are the same as a loop over
 * all zones with pointInGeometry, in zone order.
 */
import {
  bboxOf,
  distanceToBBoxM,
  distanceToBoundaryM,
  type FlatPolygons,
  flatContains,
  flattenGeometry,
} from "./polygon.ts";
import type { BBox, ZoneGeometry } from "./types.ts";

export interface Zone {
  id: string;
  geometry: ZoneGeometry;
}

/** How far (degrees) a zone edge must stay from a cell for "covers the whole cell"; absorbs rounding. */
const CELL_MARGIN_DEG = 1e-9;
const CELLS_PER_ZONE = 128;
const MIN_CELLS = 256;
const MAX_CELLS = 1 << 20;

export class ZoneIndex {
  private readonly zones: Zone[];
  private readonly ids: string[];
  private readonly byId = new Map<string, Zone>();
  private readonly compiled: FlatPolygons[];
  private readonly bboxes: BBox[];
  private readonly extent: BBox;
  private readonly columns: number;
  private readonly rows: number;
  private readonly cellWidth: number;
  private readonly cellHeight: number;
  /** Entries of cell c are cellEntries[cellStart[c] .. cellStart[c + 1]); zone i full: i, partial: ~i. */
  private readonly cellStart: Int32Array;
  private readonly cellEntries: Int32Array;

  constructor(zones: readonly Zone[]) {
    this.zones = [...zones];
    for (const zone of this.zones) {
      if (this.byId.has(zone.id)) throw new Error(`zone id ${JSON.stringify(zone.id)} is used twice`);
      this.byId.set(zone.id, zone);
    }
    this.ids = this.zones.map((zone) => zone.id);
    this.compiled = this.zones.map((zone) => flattenGeometry(zone.id, zone.geometry));
    this.bboxes = this.zones.map((zone) => bboxOf(zone.geometry));
    this.extent = unionOf(this.bboxes);

    const width = this.extent.east - this.extent.west;
    const height = this.extent.north - this.extent.south;
    const targetCells = Math.min(MAX_CELLS, Math.max(MIN_CELLS, this.zones.length * CELLS_PER_ZONE));
    const cellSize = width > 0 && height > 0 ? Math.sqrt((width * height) / targetCells) : 1;
    this.columns = width > 0 ? Math.max(1, Math.min(4096, Math.ceil(width / cellSize))) : 1;
    this.rows = height > 0 ? Math.max(1, Math.min(4096, Math.ceil(height / cellSize))) : 1;
    this.cellWidth = width > 0 ? width / this.columns : 1;
    this.cellHeight = height > 0 ? height / this.rows : 1;

    // (cell, entry) pairs in zone order; a stable counting sort by cell keeps zone order per cell.
    const pairs: number[] = [];
    for (let zoneIndex = 0; zoneIndex < this.zones.length; zoneIndex++) this.rasterize(zoneIndex, pairs);
    const cellCount = this.columns * this.rows;
    this.cellStart = new Int32Array(cellCount + 1);
    for (let k = 0; k < pairs.length; k += 2) {
      const next = (pairs[k] as number) + 1;
      this.cellStart[next] = (this.cellStart[next] as number) + 1;
    }
    for (let cell = 0; cell < cellCount; cell++) {
      this.cellStart[cell + 1] = (this.cellStart[cell + 1] as number) + (this.cellStart[cell] as number);
    }
    const fill = this.cellStart.slice(0, cellCount);
    this.cellEntries = new Int32Array(pairs.length / 2);
    for (let k = 0; k < pairs.length; k += 2) {
      const cell = pairs[k] as number;
      this.cellEntries[fill[cell] as number] = pairs[k + 1] as number;
      fill[cell] = (fill[cell] as number) + 1;
    }
  }

  get size(): number {
    return this.zones.length;
  }

  zoneOf(id: string): Zone | undefined {
    return this.byId.get(id);
  }

  /** Ids of all zones containing the point, in the order the zones were given. */
  containing(lat: number, lon: number): string[] {
    const found: string[] = [];
    const { west, south, east, north } = this.extent;
    // Negated comparisons so that NaN lands here too. Points on the extent's east or north edge
    // are outside every zone (edges there are eastern/northern boundaries).
    if (!(lon >= west && lon < east && lat >= south && lat < north)) return found;
    const column = Math.min(this.columns - 1, Math.floor((lon - west) / this.cellWidth));
    const row = Math.min(this.rows - 1, Math.floor((lat - south) / this.cellHeight));
    const cell = row * this.columns + column;
    const end = this.cellStart[cell + 1] as number;
    for (let k = this.cellStart[cell] as number; k < end; k++) {
      const entry = this.cellEntries[k] as number;
      if (entry >= 0) found.push(this.ids[entry] as string);
      else if (flatContains(this.compiled[~entry] as FlatPolygons, lon, lat))
        found.push(this.ids[~entry] as string);
    }
    return found;
  }

  /**
   * The zone nearest to the point: distance 0 for the first zone containing it, otherwise the
   * zone whose boundary is closest (metres, local equirectangular approximation).
   */
  nearest(lat: number, lon: number): { id: string; distanceM: number } | undefined {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
    const inside = this.containing(lat, lon)[0];
    if (inside !== undefined) return { id: inside, distanceM: 0 };
    const point = { lat, lon };
    const candidates = this.bboxes
      .map((box, index) => ({ index, lowerBound: distanceToBBoxM(box, point) }))
      .sort((a, b) => a.lowerBound - b.lowerBound || a.index - b.index);
    let best: { id: string; distanceM: number } | undefined;
    for (const { index, lowerBound } of candidates) {
      if (best !== undefined && lowerBound > best.distanceM) break;
      const zone = this.zones[index] as Zone;
      const distance = distanceToBoundaryM(zone.geometry, point);
      if (best === undefined || distance < best.distanceM) best = { id: zone.id, distanceM: distance };
    }
    return best;
  }

  /** Adds the zone to every cell of its bounding box where it can contain points. */
  private rasterize(zoneIndex: number, pairs: number[]): void {
    const box = this.bboxes[zoneIndex] as BBox;
    const zone = this.compiled[zoneIndex] as FlatPolygons;
    const firstColumn = this.columnOf(box.west - CELL_MARGIN_DEG);
    const lastColumn = this.columnOf(box.east + CELL_MARGIN_DEG);
    const firstRow = this.rowOf(box.south - CELL_MARGIN_DEG);
    const lastRow = this.rowOf(box.north + CELL_MARGIN_DEG);
    const spanColumns = lastColumn - firstColumn + 1;
    // First the cells some edge touches (partial), then the others are wholly inside or outside.
    const touched = new Uint8Array(spanColumns * (lastRow - firstRow + 1));
    for (const rings of zone) {
      for (const ring of rings) {
        for (let i = 0; i + 3 < ring.length; i += 2) {
          const ax = ring[i] as number;
          const ay = ring[i + 1] as number;
          const bx = ring[i + 2] as number;
          const by = ring[i + 3] as number;
          const c0 = Math.max(firstColumn, this.columnOf(Math.min(ax, bx) - CELL_MARGIN_DEG));
          const c1 = Math.min(lastColumn, this.columnOf(Math.max(ax, bx) + CELL_MARGIN_DEG));
          const r0 = Math.max(firstRow, this.rowOf(Math.min(ay, by) - CELL_MARGIN_DEG));
          const r1 = Math.min(lastRow, this.rowOf(Math.max(ay, by) + CELL_MARGIN_DEG));
          for (let row = r0; row <= r1; row++) {
            for (let column = c0; column <= c1; column++) {
              const mark = (row - firstRow) * spanColumns + (column - firstColumn);
              if (touched[mark] === 0 && this.segmentTouchesCell(ax, ay, bx, by, column, row)) {
                touched[mark] = 1;
              }
            }
          }
        }
      }
    }
    for (let row = firstRow; row <= lastRow; row++) {
      for (let column = firstColumn; column <= lastColumn; column++) {
        const cell = row * this.columns + column;
        if (touched[(row - firstRow) * spanColumns + (column - firstColumn)] === 1) {
          pairs.push(cell, ~zoneIndex);
        } else {
          const centreLon = this.extent.west + (column + 0.5) * this.cellWidth;
          const centreLat = this.extent.south + (row + 0.5) * this.cellHeight;
          if (flatContains(zone, centreLon, centreLat)) pairs.push(cell, zoneIndex);
        }
      }
    }
  }

  private columnOf(lon: number): number {
    return Math.max(0, Math.min(this.columns - 1, Math.floor((lon - this.extent.west) / this.cellWidth)));
  }

  private rowOf(lat: number): number {
    return Math.max(0, Math.min(this.rows - 1, Math.floor((lat - this.extent.south) / this.cellHeight)));
  }

  /** Against the cell widened by the margin, so "no edge touches it" survives rounding of query points. */
  private segmentTouchesCell(
    ax: number,
    ay: number,
    bx: number,
    by: number,
    column: number,
    row: number,
  ): boolean {
    const west = this.extent.west + column * this.cellWidth - CELL_MARGIN_DEG;
    const east = this.extent.west + (column + 1) * this.cellWidth + CELL_MARGIN_DEG;
    const south = this.extent.south + row * this.cellHeight - CELL_MARGIN_DEG;
    const north = this.extent.south + (row + 1) * this.cellHeight + CELL_MARGIN_DEG;
    return segmentTouchesBox(ax, ay, bx, by, west, south, east, north);
  }
}

/** Closed segment against closed box, by separating axes (x, y and the segment's normal). */
function segmentTouchesBox(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  west: number,
  south: number,
  east: number,
  north: number,
): boolean {
  if (Math.max(ax, bx) < west || Math.min(ax, bx) > east) return false;
  if (Math.max(ay, by) < south || Math.min(ay, by) > north) return false;
  const dx = bx - ax;
  const dy = by - ay;
  const s1 = dx * (south - ay) - dy * (west - ax);
  const s2 = dx * (south - ay) - dy * (east - ax);
  const s3 = dx * (north - ay) - dy * (east - ax);
  const s4 = dx * (north - ay) - dy * (west - ax);
  const allAbove = s1 > 0 && s2 > 0 && s3 > 0 && s4 > 0;
  const allBelow = s1 < 0 && s2 < 0 && s3 < 0 && s4 < 0;
  return !(allAbove || allBelow);
}

function unionOf(boxes: readonly BBox[]): BBox {
  const union: BBox = { west: Infinity, south: Infinity, east: -Infinity, north: -Infinity };
  for (const box of boxes) {
    union.west = Math.min(union.west, box.west);
    union.south = Math.min(union.south, box.south);
    union.east = Math.max(union.east, box.east);
    union.north = Math.max(union.north, box.north);
  }
  return union;
}
