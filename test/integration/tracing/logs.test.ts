/**
 * Following work through the JSON logs of the real stack (`vvcu start` as a child process,
 * LOG_LEVEL=debug, logs to a file): one CAM by the trace id the bridge gave it, from the bridge
 * through the twin to the dashboard proxy; one manual migration by its id, from the request to
 * completion; and nothing at info or above that carries a message's payload or a secret.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventId, traceparentFor } from "../../../bridges/mqtt/event.ts";
import { camMessage } from "../../../cli/sim/messages.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import { dashboardTopics } from "../../../functions/lib/topics.ts";
import { traceIdOf } from "../../../functions/lib/tracing.ts";
import {
  connect,
  eventually,
  migrationsOf,
  type StackProcess,
  startStackProcess,
  twin,
} from "../../e2e/harness.ts";

const STATION = 7201;
/** A station that jumps across the border: the geofence moves its twin. */
const CROSSING = 7202;
const API_TOKEN = "observability-test-token";
const CAM_TOPIC = "vanetza/out/cam";
/** Keys of a CAM's body: a log line holding one of them carries the payload. */
const PAYLOAD_KEYS = ["camParameters", "basicContainer", "referencePosition", "highFrequencyContainer"];

interface LogLine {
  level: number;
  component?: string;
  msg?: string;
  stationId?: string;
  migrationId?: string;
  traceId?: string;
  [field: string]: unknown;
}

const INFO = 30;
let stack: StackProcess;
let camPayload: string;

/** The bytes of a CAM of a parked car (what the bridge derives the event and trace ids from). */
function cam(stationId: number, lat: number, nowMs: number): string {
  return JSON.stringify(
    camMessage({
      stationId,
      stationType: 5,
      position: { lat, lon: -8.65 },
      altitude: 10,
      heading: 0,
      speed: 8,
      acceleration: 0,
      yawRate: 0,
      length: 4.5,
      width: 1.8,
      lowBeam: false,
      nowMs,
      receiverId: 99,
    }),
  );
}

function traceIdOfCam(payload: string): string | undefined {
  return traceIdOf(traceparentFor(eventId(CAM_TOPIC, Buffer.from(payload))));
}

async function logLines(): Promise<LogLine[]> {
  const text = await readFile(path.join(stack.dir, "vvcu.log"), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits until the log holds lines that `accept` takes (the log is written as things happen). */
async function linesWhere(what: string, accept: (lines: LogLine[]) => boolean): Promise<LogLine[]> {
  return eventually(what, async () => {
    const lines = await logLines();
    return accept(lines) ? lines : undefined;
  });
}

beforeAll(async () => {
  stack = await startStackProcess({
    LOG_LEVEL: "debug",
    VVCU_API_TOKEN: API_TOKEN,
    // One fix past the border is enough: the migration follows from one known CAM.
    VVCU_GEOFENCE_MIN_DWELL_S: "0",
    VVCU_GEOFENCE_MIN_FIXES: "1",
    VVCU_GEOFENCE_PREDICTION: "false",
  });
  const client = await connect(stack.brokerUrl);
  const dashboard: string[] = [];
  client.on("message", (_topic, payload) => dashboard.push(payload.toString()));
  await client.subscribeAsync(dashboardTopics.twin(String(STATION)), { qos: 1 });
  try {
    camPayload = cam(STATION, 40.62, Date.now());
    await client.publishAsync(CAM_TOPIC, camPayload, { qos: 1 });
    await eventually(
      "the twin of the CAM",
      async () => (await twin(stack.apiUrl, STATION, API_TOKEN))?.messages.cam,
    );
    await eventually("the twin on its dashboard topic", async () =>
      dashboard.length > 0 ? true : undefined,
    );
  } finally {
    await client.endAsync();
  }
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe("the logs of the running stack", () => {
  it("follow one CAM by the trace id the bridge gave it: bridge, twin, dashboard proxy", async () => {
    const expected = traceIdOfCam(camPayload);
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
    const lines = await linesWhere("the proxy's line for the CAM's twin", (all) =>
      all.some((line) => line.component === "proxy" && line.traceId === expected),
    );
    const forwarded = lines.filter(
      (line) => line.component === "bridge" && line.msg === "forwarded" && line.stationId === String(STATION),
    );
    // Only the MEC whose zone holds the station forwards it: one line, with the trace id.
    expect(forwarded.map((line) => [line.mec, line.traceId])).toEqual([["mec-b", expected]]);

    const traced = lines.filter((line) => line.traceId === expected);
    const steps = traced.map((line) => `${line.component}: ${line.msg}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        "bridge: forwarded",
        "twin: event applied",
        "twin: emitting",
        expect.stringMatching(/^proxy: /),
      ]),
    );
    expect(traced.every((line) => line.stationId === String(STATION))).toBe(true);
    // The trace id belongs to this CAM only.
    expect(lines.filter((line) => line.traceId === expected && line.stationId !== String(STATION))).toEqual(
      [],
    );
  });

  it("follow a manual migration by its id from the request to completion", async () => {
    const response = await fetch(`${stack.apiUrl}/api/v1/twins/${STATION}/migrations`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify({ target: "mec-a" }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as Migration;
    await eventually("the migration to complete", async () =>
      (await migrationsOf(stack.apiUrl, STATION, API_TOKEN)).find(
        (m) => m.id === id && m.status === "completed",
      ),
    );
    const lines = await linesWhere("the migration's completed line", (all) =>
      all.some((line) => line.migrationId === id && line.msg === "migration completed"),
    );
    const migration = lines.filter((line) => line.migrationId === id);
    const messages = migration.map((line) => line.msg);
    for (const step of [
      "migration requested",
      "migration started",
      "migration ready",
      "migration completed",
    ]) {
      expect(messages, step).toContain(step);
    }
    // In order, and each at info, so an operator sees a migration without debug logs.
    const order = ["requested", "started", "ready", "completed"].map((step) =>
      migration.findIndex((line) => line.msg === `migration ${step}`),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(
      migration.filter((line) => line.msg?.startsWith("migration ")).every((line) => line.level >= INFO),
    ).toBe(true);
    expect(migration.every((line) => line.stationId === String(STATION))).toBe(true);
    // The API started a trace for the migration: all its lines share one trace id.
    const traceIds = new Set(migration.map((line) => line.traceId));
    expect(traceIds.size).toBe(1);
    expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("follow a geofence migration back to the CAM that caused it, by that CAM's trace id", async () => {
    const client = await connect(stack.brokerUrl);
    const start = Date.now();
    let across: string;
    try {
      await client.publishAsync(CAM_TOPIC, cam(CROSSING, 40.62, start), { qos: 1 });
      await eventually("the twin at mec-b", async () =>
        (await twin(stack.apiUrl, CROSSING, API_TOKEN))?.mec === "mec-b" ? true : undefined,
      );
      across = cam(CROSSING, 40.66, start + 1_000);
      await client.publishAsync(CAM_TOPIC, across, { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const done = await eventually("the geofence migration to complete", async () =>
      (await migrationsOf(stack.apiUrl, CROSSING, API_TOKEN)).find((m) => m.status === "completed"),
    );
    expect(done).toMatchObject({ trigger: "geofence", from: "mec-b", to: "mec-a" });
    const traceId = traceIdOfCam(across);
    const lines = await linesWhere("the migration's completed line", (all) =>
      all.some((line) => line.migrationId === done.id && line.msg === "migration completed"),
    );
    const traced = lines.filter((line) => line.traceId === traceId);
    const steps = traced.map((line) => `${line.component}: ${line.msg}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        "bridge: forwarded",
        "twin: event applied",
        "geofence: requesting migration",
        "migration: migration requested",
        "migration: migration started",
        "migration: migration ready",
        "migration: migration completed",
        "proxy: published to the dashboard",
      ]),
    );
    // Every line of the migration carries the CAM's trace id.
    const ofMigration = lines.filter((line) => line.migrationId === done.id);
    expect(ofMigration.length).toBeGreaterThanOrEqual(5);
    expect(ofMigration.filter((line) => line.traceId !== traceId)).toEqual([]);
  });

  it("carry no payload and no secret at info or above", async () => {
    const lines = await logLines();
    const loud = lines.filter((line) => line.level >= INFO);
    // The migration's lines are among them (the test above ran it).
    expect(loud.some((line) => line.msg === "migration completed")).toBe(true);
    const text = JSON.stringify(loud);
    for (const key of PAYLOAD_KEYS) expect(text, key).not.toContain(key);
    expect(JSON.stringify(lines)).not.toContain(API_TOKEN);
    // Per-message lines are debug only.
    expect(loud.filter((line) => line.msg === "forwarded" || line.msg === "event applied")).toEqual([]);
  });
});
