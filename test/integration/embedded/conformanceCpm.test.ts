/**
 * The corpus's real vanetza-nap CPMs (TS 103 324 containers with a sensor array, and the older
 * TR 103 562 layout), published verbatim on vanetza/out/cpm to the embedded stack: each RSU's
 * twin shows its perceived objects, placed in lat/lon, in the API and on the dashboard topic.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningStack, startStack } from "../../../cli/embedded/stack.ts";
import { loadConfig } from "../../../functions/lib/config.ts";
import { dashboardTopics } from "../../../functions/lib/topics.ts";
import {
  CONFORMANCE_DIR,
  type Expected,
  expectedPath,
  readManifest,
} from "../../../scripts/derive-conformance-expected.ts";
import { connect, eventually, twin } from "../../e2e/harness.ts";
import { freePort } from "../../helpers/servers.ts";

const METRES_PER_DEGREE = 111_320;

function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const north = (a.lat - b.lat) * METRES_PER_DEGREE;
  const east = (a.lon - b.lon) * METRES_PER_DEGREE * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(north, east);
}

const CPMS = readManifest().files.filter(
  (entry) => entry.topic === "vanetza/out/cpm" && entry.expect === undefined,
);

describe("the corpus's CPMs reach their RSU's twin (embedded stack)", { timeout: 90_000 }, () => {
  let stack: RunningStack;
  let journalDir: string;
  let client: MqttClient;

  beforeAll(async () => {
    journalDir = await mkdtemp(path.join(os.tmpdir(), "vvcu-conformance-"));
    const config = loadConfig({
      MQTT_PORT: String(await freePort()),
      VVCU_API_PORT: String(await freePort()),
      VVCU_SIM: "0",
      LOG_LEVEL: "warn",
    });
    stack = await startStack({
      config,
      listenHost: "127.0.0.1",
      simVehicles: 0,
      simRateHz: 10,
      journalFile: path.join(journalDir, "migrations.jsonl"),
    });
    client = await connect(stack.brokerUrl);
  });

  afterAll(async () => {
    await client?.endAsync();
    await stack?.close();
    await rm(journalDir, { recursive: true, force: true });
  });

  it("covers the TS 103 324 and TR 103 562 layouts", () => {
    expect(CPMS.map((entry) => entry.file)).toEqual(
      expect.arrayContaining(["vanetza-nap/out_cpm.json", "vanetza-nap/out_cpm@9c59ddd.json"]),
    );
  });

  for (const entry of CPMS) {
    it(`${entry.file}: objects in the API and on the dashboard topic`, async () => {
      const expected = JSON.parse(readFileSync(expectedPath(entry.file), "utf8")) as Expected;
      const stationId = Number(expected.stationId);
      const wanted = expected.perceivedObjects ?? [];
      expect(wanted.length).toBeGreaterThan(0);
      const objectsTopic = dashboardTopics.twinObjects(String(stationId));
      const seen: { lat: number; lon: number }[][] = [];
      const onMessage = (topic: string, payload: Buffer) => {
        if (topic === objectsTopic)
          seen.push(JSON.parse(payload.toString()) as { lat: number; lon: number }[]);
      };
      client.on("message", onMessage);
      await client.subscribeAsync(objectsTopic, { qos: 0 });
      try {
        await client.publishAsync(entry.topic, readFileSync(path.join(CONFORMANCE_DIR, entry.file)), {
          qos: 1,
        });
        const state = await eventually(`the twin of RSU ${stationId} with its objects`, async () => {
          const found = await twin(stack.apiUrl, stationId);
          return found !== undefined && found.perceivedObjects.length > 0 ? found : undefined;
        });
        expect(state.perceivedObjects.map((object) => object.objectId)).toEqual(
          wanted.map((object) => object.objectId),
        );
        for (const [index, object] of state.perceivedObjects.entries()) {
          expect(metresBetween(object, wanted[index] as { lat: number; lon: number })).toBeLessThan(1);
        }
        const published = await eventually(`objects of RSU ${stationId} on ${objectsTopic}`, async () =>
          seen.find((objects) => objects.length === state.perceivedObjects.length),
        );
        for (const object of published) {
          const near = state.perceivedObjects.some((known) => metresBetween(object, known) < 1);
          expect(near, `dashboard object at ${object.lat}, ${object.lon}`).toBe(true);
        }
      } finally {
        client.off("message", onMessage);
        await client.unsubscribeAsync(objectsTopic);
      }
    });
  }
  // After the CPMs above were published.
  it("counts the containers it does not use on /metrics, by code", async () => {
    const text = await eventually("the dropped parts counted", async () => {
      const body = await (
        await fetch(`${stack.apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
      ).text();
      return /vvcu_bridge_message_parts_dropped_total\{[^}]*code="unused"[^}]*\} [1-9]/.test(body)
        ? body
        : undefined;
    });
    // One sensor information container per CPM, counted once (by the bridge that forwards it).
    const counted = [
      ...text.matchAll(/vvcu_bridge_message_parts_dropped_total\{[^}]*code="unused"[^}]*\} (\d+)/g),
    ];
    expect(counted.reduce((sum, match) => sum + Number(match[1]), 0)).toBe(CPMS.length);
  });
});
