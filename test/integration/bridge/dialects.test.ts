/**
 * Done-when 4: vanetza-nap envelopes, ITS-centre topics with quadkeys, per-station feeds and
 * MQTT-borne CloudEvents (structured, and MQTT 5 binary mode) come out as the right CloudEvents.
 */
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge } from "../../../bridges/mqtt/bridge.ts";
import { eventId, traceparentFor } from "../../../bridges/mqtt/event.ts";
import { homeFilter } from "../../../bridges/mqtt/filter.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { httpTransport } from "../../../functions/lib/runtime/emit/httpTransport.ts";
import { inProcessTransport } from "../../../functions/lib/runtime/emit/inProcess.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { startMosquitto } from "../../helpers/servers.ts";
import { itsCenterCam, structuredCloudEvent, vanetzaCam } from "../../unit/bridge/samples.ts";
import { connectClient, startAedes, startSink, waitFor } from "./harness.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

describe("dialects to CloudEvents over HTTP (Mosquitto, MQTT 5)", () => {
  it("gives each input the catalog type, subject, id, time and extensions", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const bridge = await startBridge({
      mec: "mec-dialects",
      mqtt: { url: broker.url },
      sink: httpTransport({ url: sink.url, overrides: { vvcucluster: "edge-1" } }),
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());
    const publisher: MqttClient = await connectClient(broker.url, { protocolVersion: 5 });
    cleanups.push(() => publisher.endAsync());

    const vanetza = vanetzaCam(1001, 7, 40.63, -8.66);
    const itsTopic = "its_center/inqueue/json/2002/CAM/0/3/3/1/2";
    const logsTopic = "obu/inqueue/json/3003/LOGS/access";
    const logs = JSON.stringify({ rssi: -71, rsrp: -95, sinr: 12 });
    await publisher.publishAsync("vanetza/out/cam", vanetza, { qos: 1 });
    await publisher.publishAsync(itsTopic, itsCenterCam(2002), { qos: 1 });
    await publisher.publishAsync(logsTopic, logs, { qos: 1 });
    await publisher.publishAsync("obu/inqueue/json/rsu-42/CAM", JSON.stringify(structuredCloudEvent), {
      qos: 1,
    });
    const binaryData = { ...structuredCloudEvent.data, stationId: "4004" };
    await publisher.publishAsync("vanetza/out/denm", JSON.stringify(binaryData), {
      qos: 1,
      properties: {
        contentType: "application/json",
        userProperties: {
          specversion: "1.0",
          id: "bin-9",
          type: "io.vvcu.cits.logs.received",
          source: "/partner/alerts",
          subject: "4004",
        },
      },
    });
    await waitFor("five events", () => sink.received.length === 5);
    const bySubject = new Map(sink.received.map((r) => [r.event.subject, r]));

    const cam = bySubject.get("1001");
    expect(cam?.event).toMatchObject({
      specversion: "1.0",
      id: eventId("vanetza/out/cam", Buffer.from(vanetza)),
      type: "io.vvcu.cits.cam.received",
      source: "/vvcu/mec-dialects/bridge",
      time: new Date(1_700_000_000_007).toISOString(),
      datacontenttype: "application/json",
      vvcumsgtype: "cam",
      vvcumec: "mec-dialects",
      vvcucluster: "edge-1",
    });
    expect(cam?.event.traceparent).toBe(traceparentFor(cam?.event.id ?? ""));
    expect(cam?.headers["ce-traceparent"]).toBe(cam?.event.traceparent);
    expect(cam?.headers["content-type"]).toContain("application/json");
    const camData = cam?.event.data as CitsMessage;
    expect(camData).toMatchObject({
      type: "cam",
      stationId: "1001",
      position: { lat: 40.63, lon: -8.66 },
      speed: 10,
    });
    expect(camData.origin.dialect).toBe("vanetza-out");

    const its = bySubject.get("2002");
    const itsData = its?.event.data as (CitsMessage & { type: "cam" }) | undefined;
    expect(its?.event).toMatchObject({
      type: "io.vvcu.cits.cam.received",
      vvcuquadkey: "03312",
      vvcumsgtype: "cam",
    });
    expect(itsData?.origin).toMatchObject({
      dialect: "its-center",
      quadkey: "03312",
      units: "raw",
    });
    expect(itsData?.position?.lat).toBeCloseTo(40.64, 6);

    const log = bySubject.get("3003");
    expect(log?.event).toMatchObject({ type: "io.vvcu.cits.logs.received", vvcumsgtype: "logs" });
    expect(log?.event.data).toMatchObject({
      type: "logs",
      kind: "access",
      rssiDbm: -71,
      rsrpDbm: -95,
      sinrDb: 12,
    });
    expect(log?.event.vvcuquadkey).toBeUndefined();

    const structured = bySubject.get("rsu-42");
    expect(structured?.event).toMatchObject({
      id: "ext-1",
      type: "io.vvcu.cits.logs.received",
      source: "/partner/gateway",
      time: "2026-01-01T10:00:00.000Z",
      partnerext: "kept",
      data: structuredCloudEvent.data,
    });
    expect(structured?.event.vvcumec).toBeUndefined();

    const binary = bySubject.get("4004");
    expect(binary?.event).toMatchObject({
      id: "bin-9",
      type: "io.vvcu.cits.logs.received",
      source: "/partner/alerts",
      datacontenttype: "application/json",
      data: binaryData,
    });
  });
});

describe("in-process delivery (embedded stack, Aedes, MQTT 3.1.1)", () => {
  it("hands the same events to an EventSink", async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    const sink = new CollectingSink();
    const bridge = await startBridge({
      mec: "mec-embedded",
      mqtt: { url: broker.url, protocolVersion: 4 },
      sink: inProcessTransport(sink),
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());
    const publisher: MqttClient = await connectClient(broker.url);
    cleanups.push(() => publisher.endAsync());
    const itsTopic = "its_center/inqueue/json/2002/CAM/1/2";
    await publisher.publishAsync(itsTopic, itsCenterCam(2002), { qos: 1 });
    await publisher.publishAsync("obu/inqueue/json/rsu-42/CAM", JSON.stringify(structuredCloudEvent), {
      qos: 1,
    });
    await waitFor("two events", () => sink.events.length === 2);
    expect(sink.events[0]).toMatchObject({
      id: eventId(itsTopic, Buffer.from(itsCenterCam(2002))),
      type: "io.vvcu.cits.cam.received",
      source: "/vvcu/mec-embedded/bridge",
      subject: "2002",
      vvcuquadkey: "12",
      vvcumec: "mec-embedded",
    });
    expect(sink.events[1]).toMatchObject({
      id: "ext-1",
      subject: "rsu-42",
      type: "io.vvcu.cits.logs.received",
    });
  });
});

describe("a station whose twin a migration brings here", () => {
  it("is forwarded with the arriving extension; others as they are, or not at all", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const homes = new HomeRegistry();
    homes.setHome("1001", "mec-a");
    homes.addGuest("2002", "mec-a");
    homes.setHome("3003", "mec-b");
    const bridge = await startBridge({
      mec: "mec-a",
      mqtt: { url: broker.url },
      sink: httpTransport({ url: sink.url }),
      shouldForward: homeFilter({ mec: "mec-a", homes, zoneOfPosition: () => undefined }),
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());
    const publisher: MqttClient = await connectClient(broker.url, { protocolVersion: 5 });
    cleanups.push(() => publisher.endAsync());
    for (const station of [3003, 1001, 2002])
      await publisher.publishAsync("vanetza/out/cam", vanetzaCam(station, 1, 40.63, -8.66), { qos: 1 });
    await waitFor("two events", () => sink.received.length === 2);
    const bySubject = new Map(sink.received.map((r) => [r.event.subject, r]));
    expect(bySubject.get("1001")?.headers["ce-vvcuarriving"]).toBeUndefined();
    expect(bySubject.get("2002")?.headers["ce-vvcuarriving"]).toBe("true");
    expect(bySubject.get("2002")?.event).toMatchObject({
      id: eventId("vanetza/out/cam", Buffer.from(vanetzaCam(2002, 1, 40.63, -8.66))),
      vvcuarriving: "true",
      vvcumec: "mec-a",
    });
    expect(bySubject.has("3003")).toBe(false);
  });
});
