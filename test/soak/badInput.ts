/**
 * The soak's bad input: one of each kind per round, each unique (a counter in it) so its dead
 * letter can be matched to it even when every MEC's bridge reports it.
 */
import { randomUUID } from "node:crypto";
import { camMessage } from "../../cli/sim/messages.ts";

export type BadKind = "garbage" | "oversize" | "future" | "unknownTopic" | "forged";

/** The dead-letter code each kind must get. */
export const EXPECTED_CODE: Record<BadKind, string> = {
  garbage: "not-json",
  oversize: "too-large",
  future: "time-ahead",
  unknownTopic: "unknown-message-type",
  /** A control event from a station: only C-ITS input may enter from MQTT. */
  forged: "refused-event-type",
};

export interface BadMessage {
  kind: BadKind;
  topic: string;
  payload: Buffer;
}

/** Stations of the bad input: far from the simulator's ids. */
const BAD_STATION_BASE = 900_000;

function cam(stationId: number, nowMs: number): Record<string, unknown> {
  return camMessage({
    stationId,
    stationType: 5,
    position: { lat: 40.63, lon: -8.65 },
    altitude: 10,
    heading: 0,
    speed: 1,
    acceleration: 0,
    yawRate: 0,
    length: 4.5,
    width: 1.8,
    lowBeam: false,
    nowMs,
    receiverId: 99,
  }) as Record<string, unknown>;
}

/** One round: a message of every kind. */
export function badRound(round: number, nowMs: number): BadMessage[] {
  const station = BAD_STATION_BASE + (round % 1_000);
  return [
    { kind: "garbage", topic: "vanetza/out/cam", payload: Buffer.from(`\u0000\u00ff garbage ${round}`) },
    {
      kind: "oversize",
      topic: "vanetza/out/cam",
      payload: Buffer.from(`{"round":${round},"pad":"${"x".repeat(100_000)}"}`),
    },
    {
      kind: "future",
      topic: "vanetza/out/cam",
      payload: Buffer.from(
        JSON.stringify({ ...cam(station, nowMs), timestamp: nowMs / 1000 + 3_600 + round }),
      ),
    },
    {
      kind: "unknownTopic",
      topic: "vanetza/out/bogus",
      payload: Buffer.from(JSON.stringify(cam(station, nowMs + round))),
    },
    {
      kind: "forged",
      topic: "vanetza/out/cam",
      payload: Buffer.from(
        JSON.stringify({
          specversion: "1.0",
          id: randomUUID(),
          source: "/forged",
          type: "io.vvcu.migration.requested",
          subject: String(station),
          datacontenttype: "application/json",
          data: {
            id: `forged-${round}`,
            twin: String(station),
            from: "mec-a",
            to: "mec-b",
            trigger: "manual",
            reason: "manual",
            requestedAt: new Date(nowMs).toISOString(),
          },
        }),
      ),
    },
  ];
}

/** The key matching a dead letter to what was sent: topic and the start of the payload. */
export function matchKey(topic: string, payloadStart: string): string {
  return `${topic}\u0000${payloadStart.slice(0, 200)}`;
}
