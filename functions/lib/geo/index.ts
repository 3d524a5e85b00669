/** Geo: great-circle maths, GeoJSON zones, quadkeys and the zone index. */
export * from "./polygon.ts";
export * from "./quadkey.ts";
export * from "./sphere.ts";
export * from "./types.ts";
export * from "./zoneIndex.ts";
