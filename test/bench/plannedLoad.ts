/**
 * The e2e bench's load, worked out before it is sent: the simulation's messages for every tick of
 * the run, encoded as MQTT PUBLISH packets, one buffer per tick. While measuring, the load costs
 * one socket write per tick. Simulating 1,000 vehicles and publishing each CAM through the MQTT
 * client took about a third of a core, on the two cores the stack runs on; real vehicles are not
 * on the MEC's machine. The messages and their times are the simulation's, as before. The plan
 * of the 1,000-vehicle level holds about 190,000 packets, some 280 MB, for the level's length.
 */
import mqttPacket from "mqtt-packet";
import type { Simulation } from "../../cli/sim/simulation.ts";

/** Between ticks, as the live load slept between simulation ticks. */
export const TICK_MS = 5;
/**
 * Time to work out one message, generous: the plan must be ready before its first tick, since the
 * messages carry their times. About 30 µs on this machine; a slower one starts with a burst in
 * the warm-up, which is not measured.
 */
export const PLANNING_US_PER_MESSAGE = 50;

export interface PlannedTick {
  atMs: number;
  /** The tick's PUBLISH packets (QoS 0), back to back. */
  packets: Buffer;
  /** The station of each message, for the counts of what was sent. */
  stations: number[];
}

/** Milliseconds to set aside for planning `messages` before the first tick. */
export function planningMs(messages: number): number {
  return 500 + (messages * PLANNING_US_PER_MESSAGE) / 1000;
}

/** The simulation's messages from `fromMs` until `untilMs`, one tick every TICK_MS. */
export function planLoad(simulation: Simulation, fromMs: number, untilMs: number): PlannedTick[] {
  const ticks: PlannedTick[] = [];
  for (let atMs = fromMs; atMs < untilMs; atMs += TICK_MS) {
    const messages = simulation.tick(atMs);
    if (messages.length === 0) continue;
    const packets = messages.map((message) =>
      mqttPacket.generate({
        cmd: "publish",
        topic: message.topic,
        payload: message.payload,
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    ticks.push({ atMs, packets: Buffer.concat(packets), stations: messages.map((m) => m.stationId) });
  }
  return ticks;
}
