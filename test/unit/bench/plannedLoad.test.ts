import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { Simulation } from "../../../cli/sim/simulation.ts";
import { planLoad, planningMs, TICK_MS } from "../../bench/plannedLoad.ts";

const options = { vehicles: 10, rateHz: 10, startMs: 1_000_000, seed: 7, cpmRateHz: 0, logIntervalS: 0 };

/** The PUBLISH packets of a buffer, parsed by the MQTT library. */
function parsed(packets: Buffer): { topic: string; payload: string; qos: number }[] {
  const out: { topic: string; payload: string; qos: number }[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on("packet", (packet) => {
    if (packet.cmd === "publish")
      out.push({ topic: packet.topic, payload: packet.payload.toString(), qos: packet.qos });
  });
  parser.on("error", (error) => {
    throw error;
  });
  parser.parse(packets);
  return out;
}

describe("the e2e bench's planned load", () => {
  it("holds the simulation's messages, in order, as QoS 0 PUBLISH packets, one buffer per tick", () => {
    const plan = planLoad(new Simulation(options), options.startMs, options.startMs + 1_000);
    const live = new Simulation(options);
    const expected = [];
    for (let at = options.startMs; at < options.startMs + 1_000; at += TICK_MS)
      expected.push(...live.tick(at));
    const sent = plan.flatMap((tick) => parsed(tick.packets));
    // 10 vehicles at 10 Hz for a second, their first CAMs spread over the first period
    expect(expected.length).toBeGreaterThanOrEqual(90);
    expect(sent).toEqual(expected.map((m) => ({ topic: m.topic, payload: m.payload, qos: 0 })));
    expect(plan.flatMap((tick) => tick.stations)).toEqual(expected.map((m) => m.stationId));
  });

  it("has a tick only where messages are due, each at its time on the tick grid", () => {
    const plan = planLoad(new Simulation(options), options.startMs, options.startMs + 1_000);
    for (const tick of plan) {
      expect(tick.stations.length).toBeGreaterThan(0);
      expect((tick.atMs - options.startMs) % TICK_MS).toBe(0);
      expect(tick.atMs).toBeLessThan(options.startMs + 1_000);
    }
    expect(plan.map((tick) => tick.atMs)).toEqual([...plan.map((tick) => tick.atMs)].sort((a, b) => a - b));
  });

  it("sets aside planning time that grows with the messages", () => {
    expect(planningMs(180_000)).toBeGreaterThan(planningMs(1_000));
    expect(planningMs(0)).toBeGreaterThan(0);
  });
});
