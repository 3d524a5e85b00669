/**
 * Zone look-ups per second for 1,000 zones: the ZoneIndex against the naive loop (every zone,
 * plain point-in-polygon), measured in the same run on the same query points.
 */
import { pointInGeometry } from "../../functions/lib/geo/polygon.ts";
import type { Polygon } from "../../functions/lib/geo/types.ts";
import { type Zone, ZoneIndex } from "../../functions/lib/geo/zoneIndex.ts";
import { type Benchmark, opsPerSecond } from "./types.ts";

const COLUMNS = 40;
const ROWS = 25;
/** Points inserted on each tile side, so a tile has 4 * (1 + this) = 16 vertices. */
const POINTS_PER_SIDE = 3;
const AIM_LOOKUPS_PER_SECOND = 2_000_000;
const AIM_SPEEDUP = 20;

/** Deterministic PRNG (mulberry32), so every run measures the same tiling. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A tiling of COLUMNS x ROWS wobbly quadrilaterals over Aveiro's district: shared corners and
 * shared side points are jittered once, so neighbours meet exactly along their common border.
 */
export function tiledZones(columns = COLUMNS, rows = ROWS, seed = 42): Zone[] {
  const next = random(seed);
  const west = -8.9;
  const south = 40.4;
  const width = 0.02;
  const height = 0.015;
  const corner = Array.from({ length: rows + 1 }, (_, row) =>
    Array.from({ length: columns + 1 }, (_, column) => {
      const interior = row > 0 && row < rows && column > 0 && column < columns;
      const jitter = () => (interior ? (next() - 0.5) * 0.3 : 0);
      return [west + (column + jitter()) * width, south + (row + jitter()) * height] as [number, number];
    }),
  );
  const sides = new Map<string, [number, number][]>();
  const side = (from: [number, number], to: [number, number], onOuterEdge: boolean): [number, number][] => {
    const key = `${from.join()}|${to.join()}`;
    const reverseKey = `${to.join()}|${from.join()}`;
    const known = sides.get(reverseKey);
    if (known) return [...known].reverse();
    const points: [number, number][] = [];
    for (let k = 1; k <= POINTS_PER_SIDE; k++) {
      const t = k / (POINTS_PER_SIDE + 1);
      const wobble = onOuterEdge ? 0 : (next() - 0.5) * 0.002;
      points.push([from[0] + t * (to[0] - from[0]) + wobble, from[1] + t * (to[1] - from[1]) - wobble]);
    }
    sides.set(key, points);
    return points;
  };
  const zones: Zone[] = [];
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const sw = corner[row]?.[column] as [number, number];
      const se = corner[row]?.[column + 1] as [number, number];
      const ne = corner[row + 1]?.[column + 1] as [number, number];
      const nw = corner[row + 1]?.[column] as [number, number];
      const ring = [
        sw,
        ...side(sw, se, row === 0),
        se,
        ...side(se, ne, column === columns - 1),
        ne,
        ...side(ne, nw, row === rows - 1),
        nw,
        ...side(nw, sw, column === 0),
        sw,
      ];
      const geometry: Polygon = { type: "Polygon", coordinates: [ring] };
      zones.push({ id: `zone-${row}-${column}`, geometry });
    }
  }
  return zones;
}

function naiveContaining(zones: readonly Zone[], lat: number, lon: number): string[] {
  const found: string[] = [];
  const point = { lat, lon };
  for (const zone of zones) if (pointInGeometry(zone.geometry, point)) found.push(zone.id);
  return found;
}

export const benchmark: Benchmark = {
  id: "zones",
  title: "Zone look-up (1,000 zones)",
  async run({ quick }) {
    const zones = tiledZones();
    const index = new ZoneIndex(zones);
    const next = random(7);
    const pointCount = 4096; // power of two: the hot loop picks points with a mask
    const lats = new Float64Array(pointCount);
    const lons = new Float64Array(pointCount);
    for (let i = 0; i < pointCount; i++) {
      lats[i] = 40.4 + next() * ROWS * 0.015;
      lons[i] = -8.9 + next() * COLUMNS * 0.02;
    }
    // A fast wrong answer is no answer: both sides must agree on the query points first
    // (a sample of them with --quick, since the naive side is slow).
    let hits = 0;
    const checked = quick ? 512 : pointCount;
    for (let i = 0; i < checked; i++) {
      const indexed = index.containing(lats[i] as number, lons[i] as number);
      const naive = naiveContaining(zones, lats[i] as number, lons[i] as number);
      if (indexed.join() !== naive.join()) {
        throw new Error(`index and naive loop disagree at ${lats[i]}, ${lons[i]}: ${indexed} vs ${naive}`);
      }
      hits += indexed.length;
    }
    const mask = pointCount - 1;
    let sink = 0;
    const indexedRate = opsPerSecond(
      (i) => {
        sink += index.containing(lats[i & mask] as number, lons[i & mask] as number).length;
      },
      quick ? 300 : 2000,
    );
    const naiveRate = opsPerSecond(
      (i) => {
        sink += naiveContaining(zones, lats[i & mask] as number, lons[i & mask] as number).length;
      },
      quick ? 300 : 2000,
      50,
    );
    const speedup = indexedRate / naiveRate;
    return [
      {
        name: `ZoneIndex.containing, ${zones.length} zones of 16 vertices`,
        value: indexedRate,
        unit: "lookups/s",
        baseline: { name: "naive loop over all zones", value: naiveRate, unit: "lookups/s" },
        aim: `>= ${AIM_LOOKUPS_PER_SECOND.toLocaleString("en-US")} lookups/s and >= ${AIM_SPEEDUP}x naive`,
        met: indexedRate >= AIM_LOOKUPS_PER_SECOND && speedup >= AIM_SPEEDUP,
        notes: `${speedup.toFixed(0)}x the naive loop; the two agreed on ${checked} points, ${hits} of them in a zone (checksum ${sink % 10})`,
      },
    ];
  },
};
