/**
 * A scripted run through the real chain: two MECs' twin services -> HTTP (binary CloudEvents) ->
 * the proxy function -> a real Mosquitto; a dashboard client subscribed to the dashboard topics
 * checks degrees, km/h and averages, and a client connecting later gets the retained state.
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { CloudEvent } from "cloudevents";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpSink } from "../../../functions/lib/runtime/emit/httpSink.ts";
import { DASHBOARD_PREFIX, dashboardTopics } from "../../../functions/lib/topics.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { type RunningServer, startMosquitto } from "../../helpers/servers.ts";
import { migration } from "../../unit/proxy/twins.ts";
import { citsEvent } from "../../unit/twin/events.ts";
import { cam, cpm, logs } from "../../unit/twin/messages.ts";

let mosquitto: RunningServer;
let functionServer: http.Server;
let proxyUrl: string;
let closeProxyFunction: () => Promise<void>;
const clients: MqttClient[] = [];

async function subscriber(): Promise<{ client: MqttClient; last: Map<string, unknown> }> {
  const client = await mqtt.connectAsync(mosquitto.url, { connectTimeout: 5_000, reconnectPeriod: 0 });
  clients.push(client);
  const last = new Map<string, unknown>();
  client.on("message", (topic, payload) => {
    last.set(topic, payload.length === 0 ? null : JSON.parse(payload.toString("utf8")));
  });
  await client.subscribeAsync(`${DASHBOARD_PREFIX}/#`, { qos: 1 });
  return { client, last };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

beforeAll(async () => {
  mosquitto = await startMosquitto();
  process.env.VVCU_DASHBOARD_MQTT_URL = mosquitto.url;
  process.env.VVCU_DASHBOARD_MQTT_QOS = "1";
  ({ closeProxyFunction } = await import("../../../functions/proxy/index.ts"));
  functionServer = getTestServer("proxy");
  await new Promise<void>((resolve) => functionServer.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(functionServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeProxyFunction?.();
  await Promise.all(clients.map((client) => client.endAsync()));
  await new Promise((resolve) => functionServer?.close(resolve));
  await mosquitto?.dispose();
  delete process.env.VVCU_DASHBOARD_MQTT_URL;
  delete process.env.VVCU_DASHBOARD_MQTT_QOS;
});

describe("proxy function against a real broker", () => {
  it("publishes twins in degrees and km/h, averages per MEC, migrations, and retains state", async () => {
    const dashboard = await subscriber();
    const sink = httpSink({ url: proxyUrl });
    const mecA = new TwinService({ mec: "mec-a", store: new MemoryTwinStore(), sink });
    const mecB = new TwinService({ mec: "mec-b", store: new MemoryTwinStore(), sink });
    await mecA.handle(
      citsEvent(cam("a1", 0, { speed: 10, heading: 45, position: { lat: 40.64, lon: -8.65 } }), "1"),
    );
    await mecA.handle(citsEvent(cam("a2", 0, { speed: 20, position: { lat: 40.65, lon: -8.66 } }), "2"));
    await mecB.handle(citsEvent(cam("b1", 0, { speed: 5, position: { lat: 40.6, lon: -8.7 } }), "3"));
    await mecB.handle(citsEvent(cpm("rsu-9", 0, { speed: undefined }), "4"));
    await mecA.handle(
      citsEvent(
        logs("a1", 5, { kind: "access", throughputBps: 3_200_000, rssiDbm: -64, rsrpDbm: -88, rsrqDb: -9.5 }),
        "5",
      ),
    );
    await mecA.drain();
    await mecB.drain();
    const completed = migration({
      twin: "a2",
      status: "completed",
      step: "done",
      timeUntilReadyMs: 18,
      timeUntilDoneMs: 42,
    });
    await sink.emit(
      new CloudEvent<unknown>({
        type: "io.vvcu.migration.completed",
        source: "/vvcu/mec-b/migration",
        data: { migration: completed },
      }),
    );
    await closeProxyFunction(); // publishes the throttled system topics now
    await sink.close();

    await until(
      () => (dashboard.last.get(dashboardTopics.system) as { twins?: number })?.twins === 4,
      "system with 4 twins",
    );
    expect(dashboard.last.get(dashboardTopics.twin("a1"))).toMatchObject({
      lat: 40.64,
      lon: -8.65,
      speedKmh: 36,
      heading: 45,
      mec: "mec-a",
      status: "stable",
      throughputBps: 3_200_000,
      rssiDbm: -64,
      rsrpDbm: -88,
      rsrqDb: -9.5,
      sinrDb: null, // not reported
    });
    expect(dashboard.last.get(dashboardTopics.twin("b1"))).toMatchObject({
      throughputBps: null,
      rssiDbm: null,
    });
    expect(dashboard.last.get(dashboardTopics.twinObjects("rsu-9"))).toEqual([
      { lat: 40.6444, lon: -8.6454 },
      { lat: 40.6446, lon: -8.6457 },
    ]);
    expect(dashboard.last.get(dashboardTopics.system)).toMatchObject({
      twins: 4,
      averageSpeedKmh: 42, // (36 + 72 + 18) / 3; the RSU reports no speed
      "twins_mec-a": 1,
      "twins_mec-b": 3, // a2 moved to mec-b
      "averageSpeedKmh_mec-a": 36,
      "averageSpeedKmh_mec-b": 45,
      perceivedObjects: 2,
      migrationsCompleted: 1,
    });
    expect(dashboard.last.get(dashboardTopics.twinMigration("a2"))).toMatchObject({
      timeUntilReadyMs: 18,
      timeUntilDoneMs: 42,
      migrations: 1,
      to: "mec-b",
    });
    expect(dashboard.last.get(dashboardTopics.migrations)).toMatchObject({ event: "completed", twin: "a2" });

    // a dashboard opened later sees the current state at once (retained)
    const later = await subscriber();
    await until(() => later.last.has(dashboardTopics.twin("b1")), "retained twin b1");
    expect(later.last.get(dashboardTopics.twin("b1"))).toMatchObject({ speedKmh: 18, mec: "mec-b" });
    await until(() => later.last.has(dashboardTopics.mecs), "retained mecs");
    expect(later.last.get(dashboardTopics.mecs)).toEqual([
      { mec: "mec-a", twins: 1, ids: "a1", averageSpeedKmh: 36 },
      { mec: "mec-b", twins: 3, ids: "a2, b1, rsu-9", averageSpeedKmh: 45 },
    ]);
    expect(later.last.has(dashboardTopics.migrations)).toBe(false); // events are not retained
  });
});
