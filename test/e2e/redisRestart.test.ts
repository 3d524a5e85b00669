/**
 * `vvcu start` with REDIS_URL keeps its twins in Redis: a stack killed with -9 and started again
 * shows the same twins, and their history goes on from where it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { type RunningServer, startRedis } from "../helpers/servers.ts";
import { connect, eventually, publishCam, startStackProcess, twin } from "./harness.ts";

const STATIONS = [5_101, 5_102, 5_103];
/** Stations stand 0.001° of latitude apart: 111.19 m on the 6,371 km sphere (π × 6,371,000 / 180 000). */
const SPACING_M = 111.195;

/**
 * Whether each twin's neighbours are those of the final positions. The spatial index takes a
 * twin's position just after its state is written, so a read in between may show the last step's.
 */
function neighboursSettled(twins: Twin[]): boolean {
  return twins.every(
    (state, index) =>
      state.neighbours.length === STATIONS.length - 1 &&
      state.neighbours.every(
        (neighbour) =>
          Math.abs(
            neighbour.distanceM - SPACING_M * Math.abs(STATIONS.indexOf(Number(neighbour.id)) - index),
          ) < 0.5,
      ),
  );
}

/** What must survive: everything but liveness and receipt-time bookkeeping. */
function kept(state: Twin) {
  const { liveness: _liveness, messageRates: _rates, hazards: _hazards, ...rest } = state;
  return rest;
}

describe("twins in Redis across a kill -9", { timeout: 120_000 }, () => {
  let redis: RunningServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it("are the same after a restart, and go on counting", async () => {
    const first = await startStackProcess({ REDIS_URL: redis.url });
    const client = await connect(first.brokerUrl);
    const start = Date.now();
    for (let step = 0; step < 5; step++) {
      for (const [index, station] of STATIONS.entries()) {
        const lat = 40.63 + index * 0.001 + step * 0.0001;
        await publishCam(client, station, {
          lat,
          lon: -8.65,
          speed: 5,
          heading: 0,
          timeMs: start + step * 500,
        });
      }
    }
    const before = await eventually("every CAM applied", async () => {
      const twins = await Promise.all(STATIONS.map((station) => twin(first.apiUrl, station)));
      if (!twins.every((state) => state?.messages.cam === 5)) return undefined;
      return neighboursSettled(twins as Twin[]) ? (twins as Twin[]) : undefined;
    });
    await client.endAsync(true);
    process.kill(first.pid as number, "SIGKILL");
    await first.stop();

    const second = await startStackProcess({ REDIS_URL: redis.url });
    try {
      const after = await Promise.all(STATIONS.map((station) => twin(second.apiUrl, station)));
      expect(after.map((state) => state && kept(state))).toEqual(before.map(kept));
      const again = await connect(second.brokerUrl);
      const station = STATIONS[0] as number;
      await publishCam(again, station, {
        lat: 40.64,
        lon: -8.65,
        speed: 5,
        heading: 0,
        timeMs: start + 5_000,
      });
      const next = await eventually("the next CAM counted on top", async () => {
        const state = await twin(second.apiUrl, station);
        return state?.messages.cam === 6 ? state : undefined;
      });
      expect(next.trajectory.length).toBeGreaterThan((before[0] as Twin).trajectory.length);
      await again.endAsync();
    } finally {
      await second.stop();
    }
  });
});
