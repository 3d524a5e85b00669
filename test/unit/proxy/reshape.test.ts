import { describe, expect, it } from "vitest";
import {
  dashboardObjects,
  dashboardTwin,
  mecRows,
  systemFigures,
  twinCensus,
} from "../../../functions/lib/proxy/reshape.ts";
import { cam, cpm, logs, T0 } from "../twin/messages.ts";
import { twinFrom } from "./twins.ts";

describe("dashboard reshaping", () => {
  it("flattens a twin: degrees, km/h, heading, MEC, status, counts", () => {
    const twin = twinFrom("mec-a", [
      cam("car-1", 0, { speed: 10 }),
      cam("car-1", 100, { speed: 20, heading: 87.5, position: { lat: 40.641, lon: -8.6538 } }),
    ]);
    expect(dashboardTwin(twin)).toEqual({
      id: "car-1",
      stationType: "passengerCar",
      mec: "mec-a",
      status: "stable",
      liveness: "live",
      lat: 40.641,
      lon: -8.6538,
      speedKmh: 72,
      heading: 87.5,
      averageSpeedKmh: 54,
      maxSpeedKmh: 72,
      distanceKm: 0.056, // 0.0005 degrees of latitude: 55.6 m
      objects: 0,
      hazards: 0,
      neighbours: 0,
      messages: 2,
      messagesPerS: 0,
      throughputBps: null,
      rssiDbm: null,
      rsrpDbm: null,
      rsrqDb: null,
      sinrDb: null,
      lastSeen: new Date(T0 + 1).toISOString(),
    });
  });

  it("gives null, not 0, for what a twin does not know", () => {
    const twin = twinFrom("mec-a", [
      cam("rsu", 0, { position: undefined, speed: undefined, heading: undefined }),
    ]);
    const flat = dashboardTwin(twin);
    expect([flat.lat, flat.lon, flat.speedKmh, flat.heading]).toEqual([null, null, null, null]);
  });

  it("carries the latest network flow and signal quality of the station's logs, null until reported", () => {
    const twin = twinFrom("mec-a", [
      cam("car-1", 0),
      logs("car-1", 10, { throughputBps: 2_400_000 }),
      logs("car-1", 20, {
        kind: "access",
        throughputBps: undefined,
        rssiDbm: -67,
        rsrpDbm: -95.5,
        rsrqDb: -11,
        sinrDb: 13.2,
      }),
      logs("car-1", 30, { throughputBps: 1_800_000, rssiDbm: -71 }),
    ]);
    expect(dashboardTwin(twin)).toMatchObject({
      throughputBps: 1_800_000,
      rssiDbm: -71,
      rsrpDbm: -95.5,
      rsrqDb: -11,
      sinrDb: 13.2,
    });
    const onlyFlow = dashboardTwin(twinFrom("mec-a", [logs("car-2", 0, { throughputBps: 0 })]));
    expect([
      onlyFlow.throughputBps,
      onlyFlow.rssiDbm,
      onlyFlow.rsrpDbm,
      onlyFlow.rsrqDb,
      onlyFlow.sinrDb,
    ]).toEqual([0, null, null, null, null]);
  });

  it("lists perceived objects as map points", () => {
    const twin = twinFrom("mec-a", [cpm("rsu-1", 0)]);
    expect(dashboardObjects(twin)).toEqual([
      { twin: "rsu-1", lat: 40.6444, lon: -8.6454, speedKmh: 30.6 },
      { twin: "rsu-1", lat: 40.6446, lon: -8.6457, speedKmh: 4.32 },
    ]);
  });

  it("aggregates twins per MEC, average speeds overall and per MEC, rates and objects", () => {
    const twins = [
      twinFrom("mec-a", [cam("a1", 0, { speed: 10 })]), // 36 km/h
      twinFrom("mec-a", [cam("a2", 0, { speed: 20 })]), // 72 km/h
      twinFrom("mec-b", [cam("b1", 0, { speed: 5 })]), // 18 km/h
      twinFrom("mec-b", [cpm("rsu", 0)]), // no speed, 2 objects
    ];
    twins[0] = { ...(twins[0] as (typeof twins)[0]), messageRates: { cam: 10, cpm: 0 } };
    twins[3] = { ...(twins[3] as (typeof twins)[0]), messageRates: { cpm: 1 } };
    const census = twinCensus(twins);
    const figures = systemFigures(
      census,
      ["mec-a", "mec-b", "mec-c"],
      { completed: 3, failed: 1, rolledBack: 1, running: 0 },
      T0,
    );
    expect(figures).toMatchObject({
      twins: 4,
      twinsMigrating: 0,
      averageSpeedKmh: 42,
      perceivedObjects: 2,
      messagesPerS: 11,
      camPerS: 10,
      cpmPerS: 1,
      denmPerS: 0,
      migrationsCompleted: 3,
      migrationsFailed: 1,
      "twins_mec-a": 2,
      "twins_mec-b": 2,
      "twins_mec-c": 0,
      "averageSpeedKmh_mec-a": 54,
      "averageSpeedKmh_mec-b": 18,
      "averageSpeedKmh_mec-c": null,
    });
    expect(mecRows(census, ["mec-a", "mec-b"])).toEqual([
      { mec: "mec-a", twins: 2, ids: "a1, a2", averageSpeedKmh: 54 },
      { mec: "mec-b", twins: 2, ids: "b1, rsu", averageSpeedKmh: 18 },
    ]);
  });
});
