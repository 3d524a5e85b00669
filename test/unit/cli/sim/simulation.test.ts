import { describe, expect, it } from "vitest";
import { pointAlong, routeGeometry } from "../../../../cli/sim/kinematics.ts";
import { cpmMessage } from "../../../../cli/sim/messages.ts";
import { AVEIRO_ROUTES } from "../../../../cli/sim/routes.ts";
import { type SimMessage, Simulation } from "../../../../cli/sim/simulation.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import type { CamMessage, CpmMessage, LogsMessage } from "../../../../functions/lib/cits/types.ts";
import { distanceM } from "../../../../functions/lib/geo/sphere.ts";
import { loadTopology, zoneIndexOf } from "../../../../functions/lib/topology.ts";

const START = Date.parse("2026-11-28T08:00:00Z");
const zones = zoneIndexOf(loadTopology());
const zoneOf = (position: { lat: number; lon: number }) => zones.containing(position.lat, position.lon)[0];

function run(simulation: Simulation, seconds: number, stepMs = 100): SimMessage[] {
  const out: SimMessage[] = [];
  for (let t = 0; t <= seconds * 1000; t += stepMs) out.push(...simulation.tick(START + t));
  return out;
}

describe("simulated traffic", () => {
  it("is accepted by the decoder, every message, with the station, kind and plausible values", () => {
    const messages = run(new Simulation({ vehicles: 12, rateHz: 5, startMs: START }), 30);
    const kinds = new Set<string>();
    for (const message of messages) {
      const result = decode(message.topic, message.payload);
      if (!result.ok) throw new Error(`${message.topic}: ${result.rejection.reason}`);
      expect(result.message.type).toBe(message.kind);
      expect(result.message.stationId).toBe(String(message.stationId));
      expect(result.message.timeMs).toBe(message.timeMs);
      kinds.add(message.kind);
      if (result.message.type === "cam") {
        const cam = result.message as CamMessage;
        expect(cam.position?.lat).toBeGreaterThan(40.6);
        expect(cam.position?.lat).toBeLessThan(40.67);
        expect(cam.speed).toBeGreaterThanOrEqual(0);
        expect(cam.speed).toBeLessThan(22); // under 80 km/h in town
        expect(["passengerCar", "bus"]).toContain(cam.stationType);
      }
      if (result.message.type === "logs") {
        expect((result.message as LogsMessage).throughputBps).toBeGreaterThan(0);
      }
    }
    expect([...kinds].sort()).toEqual(["cam", "cpm", "denm", "logs"]);
  });

  it("sends each vehicle's CAMs at the configured rate, in time order", () => {
    const vehicles = 8;
    const rateHz = 4;
    const messages = run(
      new Simulation({ vehicles, rateHz, startMs: START, cpmRateHz: 0, logIntervalS: 0, denmGapS: 0 }),
      20,
    );
    expect(messages.every((m) => m.kind === "cam")).toBe(true);
    for (let id = 1001; id < 1001 + vehicles; id++) {
      const times = messages.filter((m) => m.stationId === id).map((m) => m.timeMs);
      // 20 s at 4 Hz from a random phase within the first period: 80 or 81 CAMs.
      expect(times.length).toBeGreaterThanOrEqual(80);
      expect(times.length).toBeLessThanOrEqual(81);
      for (let i = 1; i < times.length; i++)
        expect((times[i] as number) - (times[i - 1] as number)).toBeCloseTo(250, -1);
    }
  });

  it("puts the CAM position near the vehicle's true position (GPS noise) and heads along the road", () => {
    const simulation = new Simulation({
      vehicles: 6,
      rateHz: 10,
      startMs: START,
      gpsNoiseM: 2.5,
      cpmRateHz: 0,
    });
    let worst = 0;
    for (let t = 0; t < 10_000; t += 100) {
      for (const message of simulation.tick(START + t)) {
        if (message.kind !== "cam") continue;
        const cam = (decode(message.topic, message.payload) as { message: CamMessage }).message;
        const truth = simulation.vehicles().find((v) => v.stationId === message.stationId);
        if (!truth || !cam.position) throw new Error("missing vehicle or position");
        worst = Math.max(worst, distanceM(truth.position, cam.position));
      }
    }
    // The truth may be up to one tick ahead of the CAM (at most 100 ms at < 20 m/s) plus noise.
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(2 + 6 * 2.5);
  });

  it("is repeatable for a seed and differs between seeds", () => {
    const payloads = (seed: number) =>
      run(new Simulation({ vehicles: 3, rateHz: 2, startMs: START, seed }), 5).map((m) => m.payload);
    expect(payloads(7)).toEqual(payloads(7));
    expect(payloads(7)).not.toEqual(payloads(8));
  });

  it("rejects rates outside 1 to 10 Hz and negative vehicle counts", () => {
    expect(() => new Simulation({ vehicles: 1, rateHz: 11, startMs: START })).toThrow(/between 1 and 10 Hz/);
    expect(() => new Simulation({ vehicles: 1, rateHz: 0.5, startMs: START })).toThrow(/between 1 and 10 Hz/);
    expect(() => new Simulation({ vehicles: -1, rateHz: 1, startMs: START })).toThrow(/whole number/);
  });
});

describe("routes through the bundled Aveiro topology", () => {
  it.each(AVEIRO_ROUTES.map((route) => [route.id, route] as const))(
    "%s crosses between both MECs",
    (_id, route) => {
      const geometry = routeGeometry(route);
      const visited = new Set<string | undefined>();
      for (let d = 0; d < geometry.lengthM; d += 20) visited.add(zoneOf(pointAlong(geometry, d).position));
      expect([...visited].sort()).toEqual(["mec-a", "mec-b"]);
    },
  );

  it("starts every vehicle within 45 s of a border when given the zones, so migrations show early", () => {
    const simulation = new Simulation({
      vehicles: 6,
      rateHz: 1,
      startMs: START,
      zoneOf,
      cpmRateHz: 0,
      logIntervalS: 0,
    });
    const firstZone = new Map(simulation.vehicles().map((v) => [v.stationId, zoneOf(v.position)]));
    const crossed = new Set<number>();
    for (let t = 0; t <= 45_000; t += 1000) {
      simulation.tick(START + t);
      for (const vehicle of simulation.vehicles()) {
        if (zoneOf(vehicle.position) !== firstZone.get(vehicle.stationId)) crossed.add(vehicle.stationId);
      }
    }
    expect(crossed.size).toBe(6);
  });
});

describe("RSU collective perception", () => {
  it("reports each perceived vehicle as an offset the decoder turns back into its position", () => {
    const rsu = { lat: 40.6412, lon: -8.6532 };
    const objects = [
      { objectId: 1, position: { lat: 40.642, lon: -8.6525 }, speed: 10, heading: 90 },
      { objectId: 2, position: { lat: 40.6405, lon: -8.654 }, speed: 0, heading: 0 },
    ];
    const payload = JSON.stringify(cpmMessage({ stationId: 900001, position: rsu, objects, nowMs: START }));
    const result = decode("vanetza/out/cpm", payload);
    if (!result.ok) throw new Error(result.rejection.reason);
    const cpm = result.message as CpmMessage;
    expect(cpm.perceivedObjects).toHaveLength(2);
    for (const [index, object] of objects.entries()) {
      const decoded = cpm.perceivedObjects[index];
      if (!decoded?.position) throw new Error("object without position");
      expect(decoded.objectId).toBe(object.objectId);
      expect(distanceM(decoded.position, object.position)).toBeLessThan(1);
    }
    expect(cpm.perceivedObjects[0]?.speed).toBeCloseTo(10, 1);
  });
});
