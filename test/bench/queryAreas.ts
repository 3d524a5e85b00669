/**
 * The `query` benchmark's area figures: `near` (500 m) and `bbox` (1 km square) over 10,000 twins
 * from the spatial index, beside a plain loop over every twin with the same exact test, in the
 * same run; then the API's selection on top, and `near` through the twin host as the embedded
 * API answers it.
 */
import { destinationPoint, distanceM } from "../../functions/lib/geo/sphere.ts";
import type { BBox } from "../../functions/lib/geo/types.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { type Circle, twinsInBox, twinsWithin } from "../../functions/lib/twin/areaQuery.ts";
import { NeighbourIndex } from "../../functions/lib/twin/neighbours.ts";
import { DEFAULT_TWIN_OPTIONS } from "../../functions/lib/twin/state/options.ts";
import { selectTwins, type TwinQuery } from "../../functions/lib/twin/state/twinQuery.ts";
import { TwinEvents } from "../../functions/lib/twin/twinEvents.ts";
import type { BenchFigure } from "./types.ts";

const TWINS = 10_000;
export const CENTRE = { lat: 40.64, lon: -8.65 };
/** The twins spread over a square this wide around CENTRE: a dense town (about 280 twins per km²). */
const SPREAD_M = 6_000;

export const cpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** CPU milliseconds per call of fn, over `count` calls after as many to warm up (the JIT's tiers). */
function cpuMsPerCall(fn: (i: number) => void, count: number): number {
  for (let i = 0; i < count; i++) fn(i);
  const start = cpuSeconds();
  for (let i = 0; i < count; i++) fn(i);
  return ((cpuSeconds() - start) * 1000) / count;
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function town(): { twins: Twin[]; byId: Map<string, Twin>; index: NeighbourIndex } {
  const next = random(20);
  const index = new NeighbourIndex(DEFAULT_TWIN_OPTIONS.neighbourRadiusM, DEFAULT_TWIN_OPTIONS.maxNeighbours);
  const twins: Twin[] = [];
  for (let i = 0; i < TWINS; i++) {
    const east = destinationPoint(CENTRE, 90, (next() - 0.5) * SPREAD_M);
    const position = destinationPoint(east, 0, (next() - 0.5) * SPREAD_M);
    const twin: Twin = {
      id: String(100_000 + i),
      stationType: i % 10 === 0 ? "bus" : "passengerCar",
      mec: i % 2 === 0 ? "mec-a" : "mec-b",
      status: "stable",
      liveness: "live",
      position,
      speed: 10,
      heading: 90,
      lastSeen: "2026-12-03T10:00:00.000Z",
      createdAt: "2026-12-03T09:00:00.000Z",
      messages: { cam: 1, cpm: 0, denm: 0, vam: 0, logs: 0 },
      messageRates: { cam: 10 },
      trajectory: [],
      distanceM: 0,
      averageSpeed: 10,
      maxSpeed: 10,
      perceivedObjects: [],
      hazards: [],
      network: {},
      neighbours: [],
      sequence: 1,
      version: 1,
    };
    twins.push(twin);
    index.upsert(twin.id, { lat: position.lat, lon: position.lon, speed: 10 });
  }
  return { twins, byId: new Map(twins.map((twin) => [twin.id, twin])), index };
}

export function areaFigures(quick: boolean): BenchFigure[] {
  const { twins, byId, index } = town();
  const next = random(7);
  const points = Array.from({ length: 64 }, () =>
    destinationPoint(
      destinationPoint(CENTRE, 90, (next() - 0.5) * SPREAD_M * 0.8),
      0,
      (next() - 0.5) * SPREAD_M * 0.8,
    ),
  );
  // The areas are made before the clocks start: what is timed is answering them.
  const circles = points.map((point) => ({ ...point, radiusM: 500 }));
  const boxes = points.map((south) => {
    const corner = destinationPoint(destinationPoint(south, 0, 1_000), 90, 1_000);
    return { west: south.lon, south: south.lat, east: corner.lon, north: corner.lat };
  });
  const nearQuery = (i: number): TwinQuery => ({ order: "distance", near: circles[i % 64] });
  const boxQuery = (i: number): TwinQuery => ({ order: "id", bbox: boxes[i % 64] });
  const fromIndex = (query: TwinQuery) => {
    const hits = query.near
      ? twinsWithin(index, query.near)
      : twinsInBox(index, query.bbox as NonNullable<TwinQuery["bbox"]>);
    const candidates: Twin[] = [];
    for (const id of hits) candidates.push(byId.get(id) as Twin);
    return selectTwins(candidates, query);
  };
  const scan = (query: TwinQuery) => selectTwins(twins, query);
  let answered = 0;
  for (let i = 0; i < 64; i++) {
    for (const query of [nearQuery(i), boxQuery(i)]) {
      const expected = JSON.stringify(scan(query).twins.map((twin) => twin.id));
      if (JSON.stringify(fromIndex(query).twins.map((twin) => twin.id)) !== expected) {
        throw new Error(`the index and the scan answer differently at point ${i}`);
      }
      answered += query.near ? fromIndex(query).twins.length : 0;
    }
  }
  const calls = quick ? 2_000 : 20_000;
  const scanCalls = quick ? 100 : 500;
  // The lookup alone: the twins in the area with the exact check, from the index or from every twin.
  const positions = twins.map((twin) => ({ id: twin.id, position: twin.position as typeof CENTRE }));
  // Both answer the ids, as the index does: a plain loop with the exact test on every twin.
  const scanWithin = (circle: Circle) => {
    const ids: string[] = [];
    for (const { id, position } of positions) if (distanceM(circle, position) <= circle.radiusM) ids.push(id);
    return ids;
  };
  const scanBox = (box: BBox) => {
    const ids: string[] = [];
    for (const { id, position: p } of positions) {
      if (p.lat >= box.south && p.lat <= box.north && p.lon >= box.west && p.lon <= box.east) ids.push(id);
    }
    return ids;
  };
  const sameIds = (a: string[], b: string[]) => JSON.stringify(a.sort()) === JSON.stringify(b.sort());
  for (let i = 0; i < 64; i++) {
    const circle = circles[i] as Circle;
    const box = boxes[i] as BBox;
    if (
      !sameIds(twinsWithin(index, circle), scanWithin(circle)) ||
      !sameIds(twinsInBox(index, box), scanBox(box))
    ) {
      throw new Error(`the index and the scan find different twins at point ${i}`);
    }
  }
  const nearIndexed = cpuMsPerCall((i) => twinsWithin(index, circles[i % 64] as Circle), calls);
  const nearScan = cpuMsPerCall((i) => scanWithin(circles[i % 64] as Circle), scanCalls);
  const boxIndexed = cpuMsPerCall((i) => twinsInBox(index, boxes[i % 64] as BBox), calls);
  const boxScan = cpuMsPerCall((i) => scanBox(boxes[i % 64] as BBox), scanCalls);
  // The whole selection of GET /api/v1/twins (filters, order, page) on top, both ways.
  const nearApi = cpuMsPerCall((i) => fromIndex(nearQuery(i)), calls / 4);
  const nearApiScan = cpuMsPerCall((i) => scan(nearQuery(i)), scanCalls);
  const boxApi = cpuMsPerCall((i) => fromIndex(boxQuery(i)), calls / 4);
  const boxApiScan = cpuMsPerCall((i) => scan(boxQuery(i)), scanCalls);
  // As the embedded stack's API answers a near query: the twin host's candidates (TwinEvents.inArea,
  // a copy of each twin with its neighbours unless the fields leave them out), then the selection.
  const host = new TwinEvents(
    "mec-a",
    { emit: async () => {} },
    DEFAULT_TWIN_OPTIONS,
    () => 0,
    componentLogger("bench"),
  );
  for (const twin of twins) host.remember(twin, undefined);
  const mapQuery = (i: number): TwinQuery => ({
    ...nearQuery(i),
    fields: ["id", "position", "heading", "mec"],
  });
  const nearHost = cpuMsPerCall(
    (i) => selectTwins(host.inArea({ near: circles[i % 64] }), nearQuery(i)),
    calls / 40,
  );
  const nearHostMap = cpuMsPerCall(
    (i) => selectTwins(host.inArea({ near: circles[i % 64] }, { neighbours: false }), mapQuery(i)),
    calls / 4,
  );
  const ms = (value: number) => `${value.toPrecision(3)} ms`;
  const figure = (
    name: string,
    indexed: number,
    scanned: number,
    aim: string,
    met: boolean,
    notes: string,
  ): BenchFigure => ({
    name,
    value: indexed,
    unit: "ms/query",
    baseline: { name: "scan of all 10,000 twins, same exact check", value: scanned, unit: "ms/query" },
    aim,
    met,
    notes: `${(scanned / indexed).toFixed(0)}x faster than the scan; ${notes}`,
  });
  return [
    figure(
      `twins within 500 m (near) of ${TWINS.toLocaleString("en-US")}, from the spatial index, per CPU`,
      nearIndexed,
      nearScan,
      ">= 20x faster than the scan and < 1 ms",
      nearScan / nearIndexed >= 20 && nearIndexed < 1,
      `${Math.round(answered / 64)} twins within on average (${TWINS} over ${SPREAD_M / 1000} km x ${SPREAD_M / 1000} km); with the API's selection on top (order by distance, page): ${ms(nearApi)} against ${ms(nearApiScan)} by a scan; through the twin host as the embedded API answers: ${ms(nearHost)} with every field (each twin's neighbours worked out), ${ms(nearHostMap)} with fields=id,position,heading,mec`,
    ),
    figure(
      `twins in a 1 km x 1 km box (bbox) of ${TWINS.toLocaleString("en-US")}, from the spatial index, per CPU`,
      boxIndexed,
      boxScan,
      ">= 20x faster than the scan",
      boxScan / boxIndexed >= 20,
      `the same twins as the scan, checked; with the API's selection on top (order by id, page): ${ms(boxApi)} against ${ms(boxApiScan)} by a scan`,
    ),
  ];
}
