import { describe, expect, it } from "vitest";
import {
  areaOf,
  HazardQueryParamsSchema,
  HistoryQueryParamsSchema,
  parseParams,
  twinQueryOf,
} from "../../../functions/lib/manager/queryParams.ts";
import { HttpError } from "../../../functions/lib/runtime/http.ts";
import {
  encodeCursor,
  queryFingerprint,
  type TwinQuery,
} from "../../../functions/lib/twin/state/twinQuery.ts";

const query = (text: string) => twinQueryOf(new URLSearchParams(text));
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError && error.status === 400) return error.message;
    throw error;
  }
  throw new Error("accepted");
}

describe("twinQueryOf", () => {
  const accepted: [string, TwinQuery][] = [
    ["", { order: "id" }],
    [
      "bbox=-8.66,40.62,-8.64,40.64",
      { order: "id", bbox: { west: -8.66, south: 40.62, east: -8.64, north: 40.64 } },
    ],
    ["near=40.63,-8.653&radius=300", { order: "distance", near: { lat: 40.63, lon: -8.653, radiusM: 300 } }],
    [
      "near=40.63,-8.653&radius=300&order=id",
      { order: "id", near: { lat: 40.63, lon: -8.653, radiusM: 300 } },
    ],
    ["mec=mec-a,mec-b", { order: "id", mec: ["mec-a", "mec-b"] }],
    ["stationType=passengerCar", { order: "id", stationType: ["passengerCar"] }],
    ["liveness=stale&status=migrating", { order: "id", liveness: "stale", status: "migrating" }],
    [
      "updatedSince=2026-12-03T10:00:00Z",
      { order: "id", updatedSinceMs: Date.parse("2026-12-03T10:00:00Z") },
    ],
    [
      "fields=id,position,heading,mec,position",
      { order: "id", fields: ["id", "position", "heading", "mec"] },
    ],
    ["limit=1000", { order: "id", limit: 1000 }],
  ];
  it.each(accepted)("%s", (text, expected) => {
    expect(query(text)).toEqual(expected);
  });

  const refused: [string, string][] = [
    ["bbox=1,2,3", 'query parameter "bbox": must be 4 comma-separated numbers: minLon,minLat,maxLon,maxLat'],
    [
      "bbox=1,2,3,x",
      'query parameter "bbox": must be 4 comma-separated numbers: minLon,minLat,maxLon,maxLat',
    ],
    [
      "bbox=-8.6,40.6,-8.7,40.7",
      'query parameter "bbox": minLon must not exceed maxLon (a box across the antimeridian is two queries)',
    ],
    ["bbox=-8.7,40.7,-8.6,40.6", 'query parameter "bbox": minLat must not exceed maxLat'],
    ["bbox=-181,40,-8,41", 'query parameter "bbox": longitudes must be within -180..180'],
    ["bbox=-8,-91,-7,41", 'query parameter "bbox": latitudes must be within -90..90'],
    ["near=40.63&radius=300", 'query parameter "near": must be 2 comma-separated numbers: lat,lon'],
    ["near=91,0&radius=300", 'query parameter "near": lat must be within -90..90'],
    ["near=40,181&radius=300", 'query parameter "near": lon must be within -180..180'],
    ["near=40.63,-8.65", 'query parameter "radius": required with near'],
    ["radius=300", 'query parameter "near": required with radius'],
    ["near=40.63,-8.65&radius=0", 'query parameter "radius": must be metres, more than 0 and at most 100000'],
    [
      "near=40.63,-8.65&radius=100001",
      'query parameter "radius": must be metres, more than 0 and at most 100000',
    ],
    [
      "near=40.63,-8.65&radius=abc",
      'query parameter "radius": must be metres, more than 0 and at most 100000',
    ],
    ["mec=a,,b", 'query parameter "mec": must be comma-separated names, none empty'],
    ["liveness=dead", 'query parameter "liveness": Invalid option: expected one of "live"|"stale"'],
    ["status=gone", 'query parameter "status": Invalid option: expected one of "stable"|"migrating"'],
    [
      "updatedSince=yesterday",
      'query parameter "updatedSince": must be an ISO 8601 date-time, e.g. 2026-12-03T10:00:00Z',
    ],
    ["fields=id,colour", 'query parameter "fields": unknown field colour; known: id, stationType'],
    ["limit=0", 'query parameter "limit": must be a whole number from 1 to 1000'],
    ["limit=2.5", 'query parameter "limit": must be a whole number from 1 to 1000'],
    ["limit=1001", 'query parameter "limit": must be a whole number from 1 to 1000'],
    ["order=distance", 'query parameter "order": distance needs near and radius'],
    ["cursor=abc", 'query parameter "cursor": not a cursor of this API'],
    ["colour=red", 'unknown query parameter "colour"; known: bbox, near, radius, mec'],
    ["mec=a&mec=b", 'query parameter "mec": given more than once'],
  ];
  it.each(refused)("refuses %s", (text, message) => {
    expect(refusal(() => query(text))).toContain(message);
  });

  it("takes a cursor of the same filter and order, whatever the limit and fields", () => {
    const base = query("mec=mec-a&limit=5");
    const cursor = encodeCursor({ order: "id", id: "17", query: queryFingerprint(base) });
    expect(query(`mec=mec-a&limit=9&fields=id&cursor=${cursor}`).after).toEqual({
      order: "id",
      id: "17",
      query: queryFingerprint(base),
    });
    expect(refusal(() => query(`mec=mec-b&cursor=${cursor}`))).toBe(
      'query parameter "cursor": belongs to another query (filters and order must stay the same)',
    );
  });
});

describe("hazard and history parameters", () => {
  it("hazards take the same area and nothing else", () => {
    expect(areaOf(parseParams(HazardQueryParamsSchema, new URLSearchParams("near=40,-8&radius=50")))).toEqual(
      {
        near: { lat: 40, lon: -8, radiusM: 50 },
      },
    );
    expect(refusal(() => parseParams(HazardQueryParamsSchema, new URLSearchParams("mec=a")))).toBe(
      'unknown query parameter "mec"; known: bbox, near, radius',
    );
  });

  it("history takes since, until and fields", () => {
    expect(
      parseParams(
        HistoryQueryParamsSchema,
        new URLSearchParams("since=2026-12-03T10:00:00Z&fields=speed,position"),
      ),
    ).toEqual({ since: Date.parse("2026-12-03T10:00:00Z"), fields: ["speed", "position"] });
    expect(refusal(() => parseParams(HistoryQueryParamsSchema, new URLSearchParams("fields=colour")))).toBe(
      'query parameter "fields": unknown field colour; known: position, speed, heading, messageRates, objects',
    );
    expect(refusal(() => parseParams(HistoryQueryParamsSchema, new URLSearchParams("until=soon")))).toContain(
      'query parameter "until": must be an ISO 8601 date-time',
    );
  });
});
