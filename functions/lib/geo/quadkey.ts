/**
 * Quadkeys of the Bing Maps tile system (Web Mercator), as the ITS-centre feed puts them in
 * its MQTT topics: one digit 0-3 per level, level 1 first. Digit = (x bit) + 2 * (y bit),
 * with tile y growing southwards.
 */
import type { BBox, LatLon } from "./types.ts";

export const MIN_LEVEL = 1;
export const MAX_LEVEL = 23;
/** Web Mercator cannot show the poles; latitudes are clipped to this. */
export const MAX_MERCATOR_LAT = 85.05112878;

export interface Tile {
  x: number;
  y: number;
  level: number;
}

export interface QuadkeyTile extends Tile {
  quadkey: string;
  bounds: BBox;
  centre: LatLon;
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < MIN_LEVEL || level > MAX_LEVEL) {
    throw new RangeError(`quadkey level must be an integer ${MIN_LEVEL}..${MAX_LEVEL}, got ${level}`);
  }
}

/** The tile containing the point at the level. */
export function tileOf(lat: number, lon: number, level: number): Tile {
  checkLevel(level);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) throw new RangeError(`not a position: ${lat}, ${lon}`);
  const clippedLat = Math.max(-MAX_MERCATOR_LAT, Math.min(MAX_MERCATOR_LAT, lat));
  const clippedLon = Math.max(-180, Math.min(180, lon));
  const sinLat = Math.sin((clippedLat * Math.PI) / 180);
  const fx = (clippedLon + 180) / 360;
  const fy = 0.5 - Math.log((1 + sinLat) / (1 - sinLat)) / (4 * Math.PI);
  const size = 2 ** level;
  const clampTile = (value: number) => Math.max(0, Math.min(size - 1, Math.floor(value * size)));
  return { x: clampTile(fx), y: clampTile(fy), level };
}

export function tileToQuadkey(tile: Tile): string {
  checkLevel(tile.level);
  let quadkey = "";
  for (let bit = tile.level - 1; bit >= 0; bit--) {
    const mask = 1 << bit;
    quadkey += String(((tile.x & mask) !== 0 ? 1 : 0) + ((tile.y & mask) !== 0 ? 2 : 0));
  }
  return quadkey;
}

/** The quadkey of the tile containing the point. */
export function quadkeyEncode(lat: number, lon: number, level: number): string {
  return tileToQuadkey(tileOf(lat, lon, level));
}

const QUADKEY_PATTERN = /^[0-3]{1,23}$/;

export function isQuadkey(text: string): boolean {
  return QUADKEY_PATTERN.test(text);
}

/** The tile, its bounds and centre (in degrees) for a quadkey; throws on anything but 1-23 digits 0-3. */
export function quadkeyDecode(quadkey: string): QuadkeyTile {
  if (!isQuadkey(quadkey))
    throw new RangeError(`not a quadkey (1-23 digits 0-3): ${JSON.stringify(quadkey)}`);
  let x = 0;
  let y = 0;
  for (const char of quadkey) {
    const digit = char.charCodeAt(0) - 48;
    x = x * 2 + (digit & 1);
    y = y * 2 + (digit >> 1);
  }
  const level = quadkey.length;
  const size = 2 ** level;
  const bounds: BBox = {
    west: (x / size) * 360 - 180,
    east: ((x + 1) / size) * 360 - 180,
    north: mercatorYToLat(y / size),
    south: mercatorYToLat((y + 1) / size),
  };
  const centre = { lat: mercatorYToLat((y + 0.5) / size), lon: ((x + 0.5) / size) * 360 - 180 };
  return { x, y, level, quadkey, bounds, centre };
}

/** Latitude of a normalized Web Mercator y (0 = north edge, 1 = south edge). */
function mercatorYToLat(fy: number): number {
  return 90 - (360 * Math.atan(Math.exp((fy - 0.5) * 2 * Math.PI))) / Math.PI;
}

export type QuadkeyParse = { ok: true; quadkey: string } | { ok: false; reason: string };

const ITS_CENTRE_PREFIX = ["its_center", "inqueue", "json"];
/** its_center/inqueue/json/<stationId>/<TYPE>/ come before the quadkey digits. */
const ITS_CENTRE_FIXED_LEVELS = 5;

/**
 * The quadkey in an ITS-centre topic. Accepts either the whole topic split on "/"
 * (its_center/inqueue/json/<stationId>/<TYPE>/<d>/<d>/...) or just the digit levels.
 * Each level must be exactly one digit 0-3; anything else is rejected with the reason.
 */
export function quadkeyFromTopicLevels(levels: readonly string[]): QuadkeyParse {
  const isFullTopic = ITS_CENTRE_PREFIX.every((prefix, index) => levels[index] === prefix);
  const digits = isFullTopic ? levels.slice(ITS_CENTRE_FIXED_LEVELS) : levels;
  if (digits.length === 0) return { ok: false, reason: "the topic has no quadkey levels" };
  if (digits.length > MAX_LEVEL) {
    return {
      ok: false,
      reason: `the topic has ${digits.length} quadkey levels; at most ${MAX_LEVEL} are allowed`,
    };
  }
  for (const [index, level] of digits.entries()) {
    if (!/^[0-3]$/.test(level)) {
      const position = isFullTopic ? index + ITS_CENTRE_FIXED_LEVELS : index;
      return {
        ok: false,
        reason: `topic level ${position} (quadkey level ${index + 1}) is ${JSON.stringify(level)}; each quadkey level must be one digit 0-3`,
      };
    }
  }
  return { ok: true, quadkey: digits.join("") };
}
