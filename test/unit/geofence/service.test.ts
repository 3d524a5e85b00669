import { CloudEvent } from "cloudevents";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import { GeofenceService, geofenceMigrationId } from "../../../functions/lib/geofence/service.ts";
import type { Migration, MigrationRequest } from "../../../functions/lib/model/migration.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { CollectingSink, type EventSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { T0, twinAt, ZONES } from "./tracks.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const silent = pino({ level: "silent" });

const twinEvent = (twin: Twin, type = "io.vvcu.twin.updated") =>
  new CloudEvent({
    type,
    source: "/vvcu/mec-a/twin",
    subject: twin.id,
    data: { twin },
    traceparent: TRACEPARENT,
  });

function service(sink: EventSink, extra: Partial<ConstructorParameters<typeof GeofenceService>[0]> = {}) {
  let now = T0;
  const geofence = new GeofenceService({
    zones: ZONES,
    sink,
    options: { prediction: false, cooldownMs: 10_000 },
    now: () => now,
    logger: silent,
    ...extra,
  });
  return { geofence, setNow: (ms: number) => (now = ms) };
}

const requests = (sink: CollectingSink) =>
  sink.events
    .filter((event) => event.type === "io.vvcu.migration.requested")
    .map((event) => event.data as MigrationRequest);

describe("GeofenceService", () => {
  it("requests one migration for a crossing, with a deterministic id and the trace carried", async () => {
    const sink = new CollectingSink();
    const { geofence, setNow } = service(sink);
    for (let k = 0; k < 40; k++) {
      setNow(T0 + k * 1000);
      await geofence.handle(twinEvent(twinAt(-300 + 14 * k, k)));
    }
    const sent = requests(sink);
    expect(sent).toEqual([
      {
        id: geofenceMigrationId("42", "mec-a", "mec-b", T0 + 24_000),
        twin: "42",
        from: "mec-a",
        to: "mec-b",
        trigger: "geofence",
        reason: "entered-zone",
        requestedAt: new Date(T0 + 26_000).toISOString(),
      },
    ]);
    const event = sink.events[0];
    expect(event?.[EXTENSIONS.traceparent]).toBe(TRACEPARENT);
    expect(event?.[EXTENSIONS.migration]).toBe(sent[0]?.id);
    expect(event?.source).toBe("/vvcu/mec-a/geofence");
    expect(geofence.stateOf("42")?.running?.migrationId).toBe(sent[0]?.id);
  });

  it("two replicas fed the same events ask with the same id (the engine drops the duplicate)", async () => {
    const sinks = [new CollectingSink(), new CollectingSink()];
    const replicas = sinks.map((sink) => service(sink));
    for (let k = 0; k < 30; k++) {
      for (const { geofence, setNow } of replicas) {
        setNow(T0 + k * 1000 + 7);
        await geofence.handle(twinEvent(twinAt(-300 + 14 * k, k)));
      }
    }
    const [first, second] = sinks.map((sink) => requests(sink).map((request) => request.id));
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
  });

  it("learns outcomes from migration events: running blocks, completion starts the cooldown", async () => {
    const sink = new CollectingSink();
    let home = "mec-a";
    const { geofence, setNow } = service(sink, { homeOf: () => home });
    for (let k = 0; k < 30; k++) {
      setNow(T0 + k * 1000);
      await geofence.handle(twinEvent(twinAt(-300 + 14 * k, k)));
    }
    const [request] = requests(sink);
    expect(request).toBeDefined();
    const migration: Migration = {
      ...(request as MigrationRequest),
      status: "completed",
      step: "done",
      driver: "local",
    };
    home = "mec-b";
    setNow(T0 + 30_000);
    await geofence.handle(
      new CloudEvent({
        type: "io.vvcu.migration.completed",
        source: "/vvcu/mec-a/migration",
        data: { migration },
      }),
    );
    expect(geofence.stateOf("42")).toMatchObject({ running: undefined, cooldownUntilMs: T0 + 40_000 });
    // Straight back into mec-a: inside the cooldown nothing, after it a request home.
    const decisions = [];
    for (let k = 31; k < 60; k++) {
      setNow(T0 + k * 1000);
      decisions.push(await geofence.handle(twinEvent(twinAt(100 - 20 * (k - 31), k, { mec: "mec-b" }))));
    }
    expect(decisions[0]).toEqual({ kind: "stay", why: "cooldown" });
    expect(requests(sink).map((sent) => [sent.from, sent.to])).toEqual([
      ["mec-a", "mec-b"],
      ["mec-b", "mec-a"],
    ]);
  });

  it("first home: records the home where the twin already is, or asks to move it", async () => {
    const sink = new CollectingSink();
    const homes = new HomeRegistry();
    const { geofence } = service(sink, {
      homeOf: (twin) => homes.homeOf(twin),
      onFirstHome: (twin, mec) => homes.setHome(twin, mec),
    });
    await geofence.handle(twinEvent(twinAt(-500, 1), "io.vvcu.twin.created"));
    expect(homes.homeOf("42")).toBe("mec-a");
    expect(sink.events).toEqual([]);

    await geofence.handle(twinEvent(twinAt(700, 1, { id: "7" }), "io.vvcu.twin.created"));
    expect(requests(sink)).toMatchObject([
      { twin: "7", from: "mec-a", to: "mec-b", reason: "first-placement" },
    ]);
  });

  it("in a cluster (no home registry), asks for a new twin's twin CNF at the MEC it was created in", async () => {
    const sink = new CollectingSink();
    const { geofence, setNow } = service(sink);
    const created = twinAt(-500, 0);
    await geofence.handle(twinEvent(created, "io.vvcu.twin.created"));
    expect(requests(sink)).toEqual([
      {
        id: geofenceMigrationId("42", "mec-a", "mec-a", Date.parse(created.createdAt)),
        twin: "42",
        from: "mec-a",
        to: "mec-a",
        trigger: "geofence",
        reason: "first-placement",
        requestedAt: new Date(T0).toISOString(),
      },
    ]);
    // Not a move: a crossing right after is still asked for.
    for (let k = 1; k < 40; k++) {
      setNow(T0 + k * 1000);
      await geofence.handle(twinEvent(twinAt(-300 + 14 * k, k)));
    }
    expect(requests(sink).map(({ from, to, reason }) => `${from}>${to} ${reason}`)).toEqual([
      "mec-a>mec-a first-placement",
      "mec-a>mec-b entered-zone",
    ]);
  });

  it("ignores malformed and unrelated events", async () => {
    const sink = new CollectingSink();
    const { geofence } = service(sink);
    const bad = new CloudEvent({ type: "io.vvcu.twin.updated", source: "/t", data: { twin: { id: 1 } } });
    expect(await geofence.handle(bad)).toBeUndefined();
    const other = new CloudEvent({ type: "io.vvcu.cits.cam.received", source: "/t", data: {} });
    expect(await geofence.handle(other)).toBeUndefined();
    expect(await geofence.handle(twinEvent(twinAt(-100, 1, { lastSeen: "not a time" })))).toBeUndefined();
    expect(sink.events).toEqual([]);
  });

  it("a failed emit is undone, so the redelivered event asks again", async () => {
    let failures = 1;
    const delivered: CloudEvent<unknown>[] = [];
    const flaky: EventSink = {
      async emit(event) {
        if (failures-- > 0) throw new Error("broker unavailable");
        delivered.push(event);
      },
    };
    const { geofence } = service(flaky, { options: { prediction: false, minFixes: 1, minDwellMs: 0 } });
    const crossing = twinEvent(twinAt(100, 1));
    await expect(geofence.handle(crossing)).rejects.toThrow("broker unavailable");
    expect(geofence.stateOf("42")).toBeUndefined();
    await geofence.handle(crossing);
    expect(delivered).toHaveLength(1);
  });
});
