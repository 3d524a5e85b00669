/**
 * The migration seam (TwinHostApi) between two twin services: events before, during and after
 * the cut reach the target's twin exactly once, and the source lets go cleanly.
 */
import { describe, expect, it } from "vitest";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent } from "./events.ts";
import { cam, cpm, T0 } from "./messages.ts";

const now = T0;
const host = (mec: string) =>
  new TwinService({
    mec,
    store: new MemoryTwinStore(),
    sink: new CollectingSink(),
    clock: () => now,
    options: { trajectoryIntervalMs: 0 },
  });

const event = (i: number) =>
  citsEvent(
    cam("car-1", i * 100, { position: { lat: 40.64 + i * 0.0001, lon: -8.65 }, speed: i }),
    `ev-${i}`,
  );

describe("migration between two twin hosts", () => {
  it("moves the twin with every event exactly once: before, during and after the cut", async () => {
    const source = host("mec-a");
    const target = host("mec-b");
    // before the migration: the source alone
    for (let i = 1; i <= 5; i++) expect(await source.handle(event(i))).toBe("applied");

    // step 3: the target expects the twin; the bridge now forwards to both
    await target.expect("car-1");
    expect(await target.isReady("car-1")).toBe(false);
    for (const i of [6, 7]) {
      expect(await source.handle(event(i))).toBe("applied");
      expect(await target.handle(event(i))).toBe("parked");
    }
    await source.setStatus("car-1", "migrating");
    const snapshot = await source.snapshot("car-1");
    if (!snapshot) throw new Error("no snapshot");
    expect(snapshot.twin.sequence).toBe(T0 + 700);
    // after the cut, still both: one on time, one late (older than the cut), one duplicate delivery
    await source.handle(event(8));
    expect(await target.handle(event(8))).toBe("parked");
    const late = citsEvent(cpm("car-1", 650), "late-cpm");
    await source.handle(late);
    expect(await target.handle(late)).toBe("parked");
    expect(await target.handle(event(8))).toBe("parked");

    await target.hydrate(snapshot);
    expect(await target.isReady("car-1")).toBe(true);

    // step 4 and 5: the home switches, the source is released
    await source.release("car-1");
    expect(await source.twin("car-1")).toBeUndefined();
    expect(await source.handle(event(9))).toBe("released"); // a straggler does not re-create it
    for (const i of [9, 10]) expect(await target.handle(event(i))).toBe("applied");
    await target.setStatus("car-1", "stable");

    const twin = await target.twin("car-1");
    expect(twin?.mec).toBe("mec-b");
    expect(twin?.status).toBe("stable");
    expect(twin?.messages).toEqual({ cam: 10, cpm: 1, denm: 0, vam: 0, logs: 0 });
    expect(twin?.position).toEqual({ lat: 40.64 + 10 * 0.0001, lon: -8.65 });
    expect(twin?.sequence).toBe(T0 + 1_000);
    expect(twin?.trajectory).toHaveLength(10);
    expect(twin?.averageSpeed).toBeCloseTo(5.5, 10);
    const record = await target.snapshot("car-1");
    const ids = record?.appliedEventIds ?? [];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith("ev-"))).toEqual(
      Array.from({ length: 10 }, (_, i) => `ev-${i + 1}`),
    );
    expect(ids).toContain("late-cpm");
  });

  it("rolls back: release at the target drops the parked events and leaves no twin", async () => {
    const target = host("mec-b");
    await target.expect("car-2");
    expect(await target.handle(citsEvent(cam("car-2", 0), "x"))).toBe("parked");
    await target.release("car-2");
    expect(await target.isReady("car-2")).toBe(false);
    expect(await target.twins()).toEqual([]);
  });

  it("installs a snapshot even without parked events, hosted at its own MEC", async () => {
    const source = host("mec-a");
    const target = host("mec-b");
    await source.handle(event(1));
    const snapshot = await source.snapshot("car-1");
    if (!snapshot) throw new Error("no snapshot");
    await target.hydrate(snapshot);
    expect((await target.twin("car-1"))?.mec).toBe("mec-b");
    expect((await target.twin("car-1"))?.messages.cam).toBe(1);
    expect(await target.handle(event(1))).toBe("duplicate");
  });

  it("parks an event marked arriving that comes before the target expects the twin, creating nothing", async () => {
    const source = host("mec-a");
    const target = host("mec-b");
    const sink = new CollectingSink();
    const watched = new TwinService({ mec: "mec-b", store: new MemoryTwinStore(), sink, clock: () => now });
    for (let i = 1; i <= 3; i++) await source.handle(event(i));
    // The bridge forwards as soon as the twin CNF's Deployment exists; the twin CNF starts later.
    const arriving = (i: number) => event(i).cloneWith({ [EXTENSIONS.arriving]: "true" }, false);
    expect(await target.handle(arriving(4))).toBe("parked");
    expect(await watched.handle(arriving(4))).toBe("parked");
    expect(await target.twin("car-1")).toBeUndefined();
    await target.expect("car-1"); // the twin CNF's start keeps what was parked
    expect(await target.handle(arriving(5))).toBe("parked");
    await source.handle(event(4));
    await source.handle(event(5));
    const snapshot = await source.snapshot("car-1");
    if (!snapshot) throw new Error("no snapshot");
    await target.hydrate(snapshot);
    // Still marked until the Deployment turns ready: applied now, not parked again.
    expect(await target.handle(arriving(6))).toBe("applied");
    expect((await target.twin("car-1"))?.messages.cam).toBe(6);
    await watched.drain();
    expect(sink.events.filter((e) => e.type === "io.vvcu.twin.created")).toEqual([]);
  });

  it("applies an event marked arriving to a twin already here, and refuses it for one released here", async () => {
    const target = host("mec-b");
    const arriving = (i: number) => event(i).cloneWith({ [EXTENSIONS.arriving]: "true" }, false);
    expect(await target.handle(event(1))).toBe("applied");
    expect(await target.handle(arriving(2))).toBe("applied");
    await target.release("car-1");
    expect(await target.handle(arriving(3))).toBe("released");
    expect(await target.isReady("car-1")).toBe(false);
  });
});
