import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import type { Logger } from "../../../functions/lib/log.ts";
import { metrics } from "../../../functions/lib/metrics.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { MecRoutingSink } from "../../../functions/lib/runtime/mecSink.ts";
import { EventRouter } from "../../../functions/lib/runtime/router.ts";
import { loadTriggers, type TriggerRoute } from "../../../functions/lib/runtime/triggers.ts";

const silent = { warn: () => {}, error: () => {}, info: () => {}, debug: () => {} } as unknown as Logger;

function event(type: string, subject: string, extra: Record<string, unknown> = {}): CloudEvent<unknown> {
  return new CloudEvent<unknown>({ type, source: "/test", subject, data: { n: extra.n ?? 0 }, ...extra });
}

describe("EventRouter over knative/triggers.yaml", () => {
  it("delivers each event to the functions whose Triggers match, and only to them", async () => {
    const router = new EventRouter({ mec: "mec-a", routes: loadTriggers(), logger: silent });
    const received: Record<string, string[]> = { twin: [], geofence: [], proxy: [], migration: [] };
    for (const name of Object.keys(received)) {
      router.subscribe(`vvcu-${name}`, (e) => {
        received[name]?.push(e.type);
      });
    }
    await router.emit(event("io.vvcu.cits.cam.received", "7"));
    await router.emit(event("io.vvcu.twin.updated", "7"));
    await router.emit(event("io.vvcu.migration.requested", "7"));
    await router.emit(event("io.vvcu.migration.completed", "7"));
    await router.emit(event("io.vvcu.not.routed", "7"));
    await router.idle();
    expect(received).toEqual({
      twin: ["io.vvcu.cits.cam.received"],
      geofence: ["io.vvcu.twin.updated"],
      proxy: ["io.vvcu.twin.updated", "io.vvcu.migration.completed"],
      migration: ["io.vvcu.migration.requested"],
    });
    expect(router.stats()).toMatchObject({ accepted: 5, delivered: 5, failed: 0, queued: 0 });
  });

  it("keeps each twin's events in order under concurrency", async () => {
    const routes: TriggerRoute[] = [{ name: "all", broker: "b", filter: {}, subscriber: "fn" }];
    const router = new EventRouter({ mec: "m", routes, concurrency: 8, logger: silent });
    const seen = new Map<string, number[]>();
    router.subscribe("fn", async (e) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      const list = seen.get(e.subject as string) ?? [];
      list.push((e.data as { n: number }).n);
      seen.set(e.subject as string, list);
    });
    for (let n = 0; n < 50; n++) await router.emit(event("t", `twin-${n % 4}`, { n }));
    await router.idle();
    for (let twin = 0; twin < 4; twin++) {
      const expected = Array.from({ length: 50 }, (_, n) => n).filter((n) => n % 4 === twin);
      expect(seen.get(`twin-${twin}`)).toEqual(expected);
    }
  });

  it("counts a failing function and goes on delivering", async () => {
    const routes: TriggerRoute[] = [
      { name: "bad", broker: "b", filter: {}, subscriber: "bad" },
      { name: "good", broker: "b", filter: {}, subscriber: "good" },
    ];
    const router = new EventRouter({ mec: "m", routes, logger: silent });
    const good: string[] = [];
    router.subscribe("bad", () => {
      throw new Error("broken function");
    });
    router.subscribe("good", (e) => {
      good.push(e.subject as string);
    });
    await router.emit(event("t", "1"));
    await router.emit(event("t", "1"));
    await router.idle();
    expect(good).toEqual(["1", "1"]);
    expect(router.stats()).toMatchObject({ delivered: 2, failed: 2 });
  });

  it("counts a hanging function as a timeout and delivers the twin's next event", async () => {
    const routes: TriggerRoute[] = [{ name: "all", broker: "b", filter: {}, subscriber: "fn" }];
    const router = new EventRouter({ mec: "m", routes, deliveryTimeoutMs: 20, logger: silent });
    const handled: number[] = [];
    router.subscribe("fn", (e) => {
      const n = (e.data as { n: number }).n;
      if (n === 0) return new Promise<void>(() => {});
      handled.push(n);
    });
    await router.emit(event("t", "x", { n: 0 }));
    await router.emit(event("t", "x", { n: 1 }));
    await router.idle();
    expect(handled).toEqual([1]);
    expect(router.stats()).toMatchObject({ timedOut: 1, delivered: 1 });
  });

  it("counts an asynchronous failure as failed, not delivered", async () => {
    const routes: TriggerRoute[] = [{ name: "all", broker: "b", filter: {}, subscriber: "fn" }];
    const router = new EventRouter({ mec: "m", routes, logger: silent });
    router.subscribe("fn", async (e) => {
      if (e.subject === "bad") throw new Error("broken later");
    });
    await router.emit(event("t", "bad"));
    await router.emit(event("t", "good"));
    await router.idle();
    expect(router.stats()).toMatchObject({ delivered: 1, failed: 1, timedOut: 0 });
  });

  it("reports its deliveries and queue depth to Prometheus whenever they are read", async () => {
    const mec = "router-metrics-test";
    const routes: TriggerRoute[] = [{ name: "all", broker: "b", filter: {}, subscriber: "fn" }];
    const router = new EventRouter({ mec, routes, deliveryTimeoutMs: 20, logger: silent });
    const deliveries = async () =>
      Object.fromEntries(
        (await metrics.routerDeliveries.get()).values
          .filter((v) => v.labels.mec === mec)
          .map((v) => [`${v.labels.subscriber}/${v.labels.outcome}`, v.value]),
      );
    const depth = async () =>
      (await metrics.routerQueueDepth.get()).values.find((v) => v.labels.mec === mec)?.value;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    router.subscribe("fn", async (e) => {
      if (e.subject === "gated") await gate;
      if (e.subject === "bad") throw new Error("broken");
      if (e.subject === "hangs") await new Promise(() => {});
    });
    for (let n = 0; n < 3; n++) await router.emit(event("t", "gated", { n }));
    expect(await depth()).toBe(3);
    release();
    await router.emit(event("t", "bad"));
    await router.emit(event("t", "hangs"));
    await router.idle();
    expect(await depth()).toBe(0);
    expect(await deliveries()).toEqual({ "fn/delivered": 3, "fn/failed": 1, "fn/timeout": 1 });
    // read twice: counted once
    expect(await deliveries()).toEqual({ "fn/delivered": 3, "fn/failed": 1, "fn/timeout": 1 });
    await router.emit(event("t", "again"));
    await router.close();
    expect(await deliveries()).toEqual({ "fn/delivered": 4, "fn/failed": 1, "fn/timeout": 1 });
  });

  it("makes producers on its ingress wait when full, but never a function emitting while it handles", async () => {
    const routes: TriggerRoute[] = [
      { name: "in", broker: "b", filter: { type: "in" }, subscriber: "fn" },
      { name: "out", broker: "b", filter: { type: "out" }, subscriber: "sink" },
    ];
    const router = new EventRouter({ mec: "m", routes, maxQueued: 2, concurrency: 1, logger: silent });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const outs: string[] = [];
    router.subscribe("fn", async (e) => {
      await gate;
      // Emitting from inside a delivery while the queue is full must not deadlock.
      await router.emit(event("out", e.subject as string));
    });
    router.subscribe("sink", (e) => {
      outs.push(e.subject as string);
    });
    const ingress = router.ingress();
    await ingress.emit(event("in", "a"));
    await ingress.emit(event("in", "b"));
    let thirdAccepted = false;
    const third = ingress.emit(event("in", "c")).then(() => {
      thirdAccepted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(thirdAccepted).toBe(false);
    release();
    await third;
    await router.idle();
    expect(outs.sort()).toEqual(["a", "b", "c"]);
  });

  it("counts Triggers whose function is not running here and refuses events after close", async () => {
    const router = new EventRouter({ mec: "m", routes: loadTriggers(), logger: silent });
    await router.emit(event("io.vvcu.cits.cam.received", "1"));
    expect(router.stats().noSubscriber).toBe(1);
    await router.close();
    await expect(router.emit(event("io.vvcu.cits.cam.received", "1"))).rejects.toThrow(/closed/);
  });

  it("refuses a second function under the same Service name", () => {
    const router = new EventRouter({ mec: "m", routes: loadTriggers(), logger: silent });
    router.subscribe("vvcu-twin", () => {});
    expect(() => router.subscribe("vvcu-twin", () => {})).toThrow(/already subscribed/);
  });
});

describe("MecRoutingSink", () => {
  it("sends an event to the router of its vvcumec extension, else its subject's home, else the first", async () => {
    const a = new CollectingSink();
    const b = new CollectingSink();
    const homes: Record<string, string> = { "9": "mec-b" };
    const sink = new MecRoutingSink(
      new Map([
        ["mec-a", a],
        ["mec-b", b],
      ]),
      (subject) => homes[subject],
    );
    await sink.emit(event("t", "1", { vvcumec: "mec-b" }));
    await sink.emit(event("t", "9"));
    await sink.emit(event("t", "unknown"));
    await sink.emit(event("t", "1", { vvcumec: "mec-zzz" }));
    expect(b.events.map((e) => e.subject)).toEqual(["1", "9"]);
    expect(a.events.map((e) => e.subject)).toEqual(["unknown", "1"]);
  });
});
