import type { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent } from "./events.ts";
import { cam, T0 } from "./messages.ts";

const twinOf = (event: CloudEvent<unknown>) => (event.data as { twin: Twin }).twin;

describe("twin events: neighbours", () => {
  it("lists at most maxNeighbours, the nearest, in the API and in twin.updated", async () => {
    const sink = new CollectingSink();
    const twins = new TwinService({
      mec: "mec-a",
      store: new MemoryTwinStore(),
      sink,
      clock: () => T0,
      options: { neighbourRadiusM: 300, maxNeighbours: 2 },
    });
    // a queue of cars 20 m apart going north; "car-0" last
    for (let i = 0; i < 6; i++) {
      const position = { lat: 40.64 + i * 0.00018, lon: -8.65 };
      await twins.handle(citsEvent(cam(`car-${i}`, 0, { position, speed: 10 + i }), `e${i}`));
    }
    const near = (await twins.twin("car-0"))?.neighbours;
    expect(near?.map((n) => n.id)).toEqual(["car-1", "car-2"]);
    expect(near?.[0]?.distanceM).toBeCloseTo(20, 0);
    expect(near?.[1]?.relativeSpeed).toBe(2);
    await twins.handle(
      citsEvent(cam("car-0", 100, { position: { lat: 40.64, lon: -8.65 }, speed: 10 }), "again"),
    );
    await twins.drain();
    const updates = sink.events.filter((event) => event.subject === "car-0");
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(twinOf(updates.at(-1) as CloudEvent<unknown>).neighbours.map((n) => n.id)).toEqual([
      "car-1",
      "car-2",
    ]);
    // the middle of the queue: one each side, both 20 m away
    expect((await twins.twin("car-3"))?.neighbours.map((n) => n.id).sort()).toEqual(["car-2", "car-4"]);
  });

  it("answers an area's twins with their neighbours, or as kept when the answer will not show them", async () => {
    const twins = new TwinService({
      mec: "mec-a",
      store: new MemoryTwinStore(),
      sink: new CollectingSink(),
      clock: () => T0,
      options: { neighbourRadiusM: 300 },
    });
    await twins.handle(citsEvent(cam("a", 0, { position: { lat: 40.64, lon: -8.65 }, speed: 10 }), "e1"));
    await twins.handle(citsEvent(cam("b", 0, { position: { lat: 40.6409, lon: -8.65 }, speed: 12 }), "e2"));
    const area = { near: { lat: 40.64, lon: -8.65, radiusM: 50 } };
    const shown = await twins.twinsInArea(area);
    expect(shown.map((twin) => [twin.id, twin.neighbours])).toEqual([
      ["a", [{ id: "b", distanceM: expect.closeTo(100, 0), relativeSpeed: 2 }]],
    ]);
    const kept = await twins.twinsInArea(area, { neighbours: false });
    expect(kept.map((twin) => [twin.id, twin.neighbours])).toEqual([["a", []]]);
  });
});

describe("twin events: many new twins at once", () => {
  it("announces a thousand stations appearing together a few dozen per turn of the event loop, each once with its latest state", async () => {
    // Which turn of the event loop each twin.created went out in: one long run of a thousand
    // announcements (neighbours, event, proxy and geofence behind it) held the API up for a second.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const created: { subject: string; turn: number; twin: Twin }[] = [];
    const twins = new TwinService({
      mec: "mec-a",
      store: new MemoryTwinStore(),
      sink: {
        emit: async (event) => {
          if (event.type === "io.vvcu.twin.created")
            created.push({ subject: event.subject as string, turn, twin: twinOf(event) });
        },
      },
      clock: () => T0,
      options: {},
    });
    const stations = Array.from({ length: 1_000 }, (_, i) => `new-${i}`);
    const position = (i: number) => ({
      lat: 40.6 + (i % 100) * 0.0005,
      lon: -8.65 + Math.floor(i / 100) * 0.0005,
    });
    await Promise.all(
      stations.map((id, i) =>
        twins.handle(citsEvent(cam(id, 0, { position: position(i), speed: 1 }), `a-${id}`)),
      ),
    );
    // A second CAM of the last station, before its announcement goes out: the announcement carries it.
    await twins.handle(citsEvent(cam("new-999", 1, { position: position(999), speed: 7 }), "again"));
    // Not drain(): it sends whatever waits at once, as at a shutdown.
    while (created.length < stations.length) await new Promise((resolve) => setTimeout(resolve, 5));
    ticking = false;
    expect(created.map((entry) => entry.subject).sort()).toEqual([...stations].sort());
    const perTurn = new Map<number, number>();
    for (const entry of created) perTurn.set(entry.turn, (perTurn.get(entry.turn) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(64);
    expect(created.find((entry) => entry.subject === "new-999")?.twin.speed).toBe(7);
  });
});
