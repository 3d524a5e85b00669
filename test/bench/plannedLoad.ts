/**
 * The e2e bench's load, worked out before it is sent: the simulation's messages for every tick of
 * the run, encoded as MQTT PUBLISH packets, one buffer per tick. While measuring, the load costs
 * one socket write per tick. Simulating 1,000 vehicles and publishing each CAM through the MQTT
 * client took about a third of a core, on the two cores the stack runs on; real vehicles are not
 * on the MEC's machine. The messages and their times are the simulation's, as before. The plan
 * of the 1,000-vehicle level holds about 190,000 packets, some 280 MB, for the level's length.
 */
import type { MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import type { Simulation } from "../../cli/sim/simulation.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
  /** The first message's payload: what the stack parses, for the JSON.parse floor. */
  firstPayload: Buffer;
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
    ticks.push({
      atMs,
      packets: Buffer.concat(packets),
      stations: messages.map((m) => m.stationId),
      firstPayload: Buffer.from((messages[0] as { payload: string | Buffer }).payload),
    });
  }
  return ticks;
}

/** Waits until the client's socket has written everything, at most `ms`; resolves with the bytes left. */
export async function flushed(client: MqttClient, ms: number): Promise<number> {
  const stream = client.stream as { writableLength?: number };
  const deadline = Date.now() + ms;
  while ((stream.writableLength ?? 0) > 0 && Date.now() < deadline) await sleep(2);
  return stream.writableLength ?? 0;
}

/** Sends a plan's ticks on time over one client's connection, and counts what it sent per station. */
export class PlannedLoadDriver {
  readonly published = new Map<number, number>();
  /** When each station's first message was written (Date.now()). */
  readonly firstSentAtMs = new Map<number, number>();
  publishedTotal = 0;
  private nextTick = 0;

  constructor(
    private readonly client: MqttClient,
    private readonly plan: PlannedTick[],
  ) {}

  get unsentBytes(): number {
    return (this.client.stream as { writableLength?: number }).writableLength ?? 0;
  }

  /** Sends every tick due until `untilMs` (or the plan's end). */
  async drive(untilMs: number): Promise<void> {
    while (Date.now() < untilMs && this.nextTick < this.plan.length) {
      const tick = this.plan[this.nextTick] as PlannedTick;
      const earlyMs = tick.atMs - Date.now();
      if (earlyMs > 0) {
        await sleep(Math.min(earlyMs, untilMs - Date.now()));
        continue;
      }
      this.nextTick++;
      // Whole QoS 0 PUBLISH packets into the client's connection, as stations publish CAMs: they
      // need nothing of the client but the connection. A loss anywhere shows in the counts.
      this.client.stream.write(tick.packets);
      const now = Date.now();
      for (const station of tick.stations) {
        const sent = this.published.get(station) ?? 0;
        if (sent === 0) this.firstSentAtMs.set(station, now);
        this.published.set(station, sent + 1);
      }
      this.publishedTotal += tick.stations.length;
      // A broker that cannot take more holds the load back (TCP): the offered rate shows it.
      if (this.unsentBytes > 1024 * 1024) await flushed(this.client, 5_000);
    }
  }
}
