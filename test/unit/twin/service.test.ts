import { CloudEvent } from "cloudevents";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import { metrics } from "../../../functions/lib/metrics.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent, TRACEPARENT } from "./events.ts";
import { cam, T0 } from "./messages.ts";

let now = T0;
const clock = () => now;

function service(mec = "mec-a", options = {}) {
  const sink = new CollectingSink();
  const store = new MemoryTwinStore();
  return { sink, store, twins: new TwinService({ mec, store, sink, clock, options }) };
}

const twinOf = (event: CloudEvent<unknown>) => (event.data as { twin: Twin }).twin;
const ignoredCount = async (reason: string) =>
  (await metrics.twinEventsIgnored.get()).values.find(
    (value) => value.labels.mec === "mec-a" && value.labels.reason === reason,
  )?.value ?? 0;

beforeEach(() => {
  now = T0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("TwinService.handle", () => {
  it("creates the twin and emits twin.created with source, subject, MEC and trace", async () => {
    const { sink, store, twins } = service();
    expect(await twins.handle(citsEvent(cam("1001", 0), "ev-1"))).toBe("applied");
    expect((await store.get("1001"))?.twin.messages.cam).toBe(1);
    await twins.drain();
    expect(sink.events).toHaveLength(1);
    const created = sink.events[0] as CloudEvent<unknown>;
    expect(created.type).toBe("io.vvcu.twin.created");
    expect(created.source).toBe("/vvcu/mec-a/twin");
    expect(created.subject).toBe("1001");
    expect(created[EXTENSIONS.mec]).toBe("mec-a");
    expect(created[EXTENSIONS.traceparent]).toBe(TRACEPARENT);
    expect(twinOf(created)).toMatchObject({
      id: "1001",
      mec: "mec-a",
      position: { lat: 40.6405, lon: -8.6538 },
    });
  });

  it("logs and counts bad data and unknown types, and never throws", async () => {
    const { sink, twins } = service();
    const before = await ignoredCount("invalid");
    const bad = new CloudEvent<unknown>({
      type: "io.vvcu.cits.cam.received",
      source: "/test",
      data: { type: "cam", stationId: "" },
    });
    expect(await twins.handle(bad)).toBe("invalid");
    expect(
      await twins.handle(new CloudEvent<unknown>({ type: "io.vvcu.twin.updated", source: "/t", data: {} })),
    ).toBe("unsupported");
    expect(await ignoredCount("invalid")).toBe(before + 1);
    await twins.drain();
    expect(sink.events).toHaveLength(0);
  });

  it("applies the same event id once", async () => {
    const { store, twins } = service();
    const event = citsEvent(cam("7", 0), "same-id");
    expect(await twins.handle(event)).toBe("applied");
    expect(await twins.handle(event)).toBe("duplicate");
    expect((await store.get("7"))?.twin.messages.cam).toBe(1);
  });

  it("coalesces updates per twin and always sends the last state", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { sink, twins } = service("mec-a", { maxUpdatesPerSecond: 10 });
    const handled = [];
    for (let i = 0; i < 20; i++)
      handled.push(twins.handle(citsEvent(cam("5", i * 10, { speed: i }), `e${i}`)));
    await Promise.all(handled);
    expect(sink.events.map((event) => event.type)).toEqual(["io.vvcu.twin.created"]);
    now += 100;
    vi.advanceTimersByTime(100);
    expect(sink.events.map((event) => event.type)).toEqual(["io.vvcu.twin.created", "io.vvcu.twin.updated"]);
    const updated = twinOf(sink.events[1] as CloudEvent<unknown>);
    expect(updated.messages.cam).toBe(20);
    expect(updated.speed).toBe(19);
    // nothing new: no further update
    now += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(sink.events).toHaveLength(2);
    // a change after a quiet interval goes out at once
    await twins.handle(citsEvent(cam("5", 5_000), "later"));
    expect(sink.events).toHaveLength(3);
    expect(twinOf(sink.events[2] as CloudEvent<unknown>).messages.cam).toBe(21);
  });

  it("expires quiet twins with twin.expired and marks them stale before", async () => {
    const { sink, store, twins } = service("mec-a", { staleAfterMs: 5_000, expireAfterMs: 20_000 });
    await twins.handle(citsEvent(cam("old", 0), "o1"));
    now = T0 + 15_000;
    await twins.handle(citsEvent(cam("new", 15_000), "n1"));
    const stale = await twins.sweep(T0 + 6_000);
    expect(stale).toEqual({ changed: ["old"], expired: [] });
    expect((await store.get("old"))?.twin.liveness).toBe("stale");
    const result = await twins.sweep(T0 + 20_000);
    expect(result.expired).toEqual(["old"]);
    expect(await store.get("old")).toBeUndefined();
    expect((await twins.twins()).map((twin) => twin.id)).toEqual(["new"]);
    await twins.drain();
    const expired = sink.events.find((event) => event.type === "io.vvcu.twin.expired");
    expect(expired?.data).toEqual({ id: "old", mec: "mec-a", lastSeen: new Date(T0).toISOString() });
    expect(expired?.subject).toBe("old");
  });

  it("finds neighbours in the same MEC within the radius, with distance and relative speed", async () => {
    const { twins } = service("mec-a", { neighbourRadiusM: 300 });
    await twins.handle(citsEvent(cam("a", 0, { position: { lat: 40.64, lon: -8.65 }, speed: 10 }), "a1"));
    await twins.handle(citsEvent(cam("b", 0, { position: { lat: 40.641, lon: -8.65 }, speed: 14 }), "b1"));
    await twins.handle(citsEvent(cam("c", 0, { position: { lat: 40.6412, lon: -8.6503 }, speed: 4 }), "c1"));
    await twins.handle(citsEvent(cam("far", 0, { position: { lat: 40.66, lon: -8.65 }, speed: 10 }), "f1"));
    const a = await twins.twin("a");
    expect(a?.neighbours.map((n) => n.id)).toEqual(["b", "c"]);
    expect(a?.neighbours[0]?.distanceM).toBeCloseTo(111.2, 0);
    expect(a?.neighbours[0]?.relativeSpeed).toBe(4);
    expect(a?.neighbours[1]?.relativeSpeed).toBe(-6);
    expect((await twins.twin("far"))?.neighbours).toEqual([]);
    // a twin that moves away is no longer a neighbour
    await twins.handle(citsEvent(cam("b", 100, { position: { lat: 40.65, lon: -8.65 } }), "b2"));
    expect((await twins.twin("a"))?.neighbours.map((n) => n.id)).toEqual(["c"]);
  });
});

describe("TwinService under a burst", () => {
  it("applies a burst in store writes of at most 128 events, letting the event loop turn between them", async () => {
    const sink = new CollectingSink();
    const store = new MemoryTwinStore();
    const writes: { events: number; turnsBefore: number }[] = [];
    let turns = 0;
    const updateMany = store.updateMany.bind(store);
    store.updateMany = (updates) => {
      writes.push({ events: updates.length, turnsBefore: turns });
      return updateMany(updates);
    };
    const twins = new TwinService({ mec: "mec-a", store, sink, clock });
    const handled = Array.from({ length: 1_200 }, (_, index) =>
      twins.handle(citsEvent(cam(String(index % 300), index), `burst-${index}`)),
    );
    const counting = setInterval(() => turns++, 0);
    const outcomes = await Promise.all(handled);
    clearInterval(counting);
    expect(outcomes.every((outcome) => outcome === "applied")).toBe(true);
    expect(writes.map((write) => write.events)).toEqual([...Array<number>(9).fill(128), 48]);
    // A timer got its turn between the full batches.
    expect((writes[2]?.turnsBefore ?? 0) > (writes[0]?.turnsBefore ?? 0)).toBe(true);
    expect((await store.get("7"))?.twin.messages.cam).toBe(4);
  });
});
