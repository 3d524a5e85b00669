import { describe, expect, it } from "vitest";
import { publicationBody } from "../../../functions/lib/proxy/publisher.ts";
import { ProxyState } from "../../../functions/lib/proxy/state.ts";
import { dashboardTopics } from "../../../functions/lib/topics.ts";
import { cam, cpm } from "../twin/messages.ts";
import { migration, twinFrom } from "./twins.ts";

const topicsOf = (publications: { topic: string }[]) => publications.map((p) => p.topic);

describe("ProxyState", () => {
  it("publishes a twin's retained topics on each update", () => {
    const state = new ProxyState();
    const publications = state.applyTwin(twinFrom("mec-a", [cam("car-1", 0)]));
    expect(topicsOf(publications)).toEqual([
      dashboardTopics.twin("car-1"),
      dashboardTopics.twinObjects("car-1"),
    ]);
    expect(publications.every((p) => p.retain)).toBe(true);
  });

  it("sends a twin's empty objects list once, until it has objects again or expired", () => {
    const state = new ProxyState();
    const objectsTopic = dashboardTopics.twinObjects("rsu");
    const payloadsOf = (publications: { topic: string; payload: unknown }[]) =>
      publications.filter((p) => p.topic === objectsTopic).map((p) => p.payload);
    const quiet = twinFrom("mec-a", [cam("rsu", 0)]);
    expect(payloadsOf(state.applyTwin(quiet))).toEqual([[]]);
    // The retained "[]" already says it: the next updates send the twin's topic alone.
    expect(topicsOf(state.applyTwin({ ...quiet, sequence: quiet.sequence + 1 }))).toEqual([
      dashboardTopics.twin("rsu"),
    ]);
    const perceiving = twinFrom("mec-a", [cam("rsu", 0), cpm("rsu", 100)]);
    expect(payloadsOf(state.applyTwin(perceiving))[0]).toHaveLength(2);
    expect(payloadsOf(state.applyTwin(perceiving))[0]).toHaveLength(2); // objects move: sent each time
    const emptyAgain = { ...perceiving, perceivedObjects: [], sequence: perceiving.sequence + 1 };
    expect(payloadsOf(state.applyTwin(emptyAgain))).toEqual([[]]);
    expect(payloadsOf(state.applyTwin({ ...emptyAgain, sequence: emptyAgain.sequence + 1 }))).toEqual([]);
    state.expire("rsu", "mec-a"); // clears the retained topics
    expect(payloadsOf(state.applyTwin(quiet))).toEqual([[]]);
  });

  it("during a migration takes the home's reports and newer ones, not older reports from elsewhere", () => {
    const state = new ProxyState();
    state.applyTwin(twinFrom("mec-a", [cam("car-1", 0), cam("car-1", 200)]));
    const olderFromTarget = twinFrom("mec-b", [cam("car-1", 100)]);
    expect(state.applyTwin(olderFromTarget)).toEqual([]);
    state.applyMigration("completed", migration({ status: "completed", step: "done", timeUntilDoneMs: 40 }));
    expect(state.twin("car-1")?.mec).toBe("mec-b");
    const lateFromSource = twinFrom("mec-a", [cam("car-1", 0), cam("car-1", 200)]);
    expect(state.applyTwin(lateFromSource)).toEqual([]);
    expect(state.twin("car-1")?.mec).toBe("mec-b");
  });

  it("keeps the last times until ready and done per twin and counts migrations once each", () => {
    const state = new ProxyState();
    state.applyTwin(twinFrom("mec-a", [cam("car-1", 0)]));
    state.applyMigration("started", migration());
    expect(state.twin("car-1")?.status).toBe("migrating");
    state.applyMigration("ready", migration({ step: "ready", timeUntilReadyMs: 12.5 }));
    const done = migration({
      status: "completed",
      step: "done",
      timeUntilReadyMs: 12.5,
      timeUntilDoneMs: 30,
    });
    const publications = state.applyMigration("completed", done);
    state.applyMigration("completed", done); // redelivered
    expect(
      publications.find((p) => p.topic === dashboardTopics.twinMigration("car-1"))?.payload,
    ).toMatchObject({
      twin: "car-1",
      from: "mec-a",
      to: "mec-b",
      status: "completed",
      timeUntilReadyMs: 12.5,
      timeUntilDoneMs: 30,
      migrations: 1,
    });
    const event = publications.find((p) => p.topic === dashboardTopics.migrations);
    expect(event?.retain).toBe(false);
    expect(state.twin("car-1")?.status).toBe("stable");
    // the next migration, while running, still shows the last known times
    const next = state.applyMigration("started", migration({ id: "m-2", from: "mec-b", to: "mec-a" }));
    expect(next.find((p) => p.topic === dashboardTopics.twinMigration("car-1"))?.payload).toMatchObject({
      migrationId: "m-2",
      timeUntilReadyMs: 12.5,
      timeUntilDoneMs: 30,
      migrations: 1,
    });
    state.applyMigration(
      "rolledback",
      migration({ id: "m-2", status: "rolled-back", error: "target not ready" }),
    );
    expect(state.migrationTotals()).toEqual({ completed: 1, failed: 0, rolledBack: 1, running: 0 });
    expect(state.twin("car-1")?.mec).toBe("mec-b");
  });

  it("publishes a twin's row on its topic and in the list of all twins alike, moved as its migration moves it", () => {
    const state = new ProxyState();
    state.applyTwin(twinFrom("mec-a", [cam("car-1", 0)]));
    const moved = state.applyMigration("completed", migration({ status: "completed", step: "done" }));
    const body = publicationBody(moved.find((p) => p.topic === dashboardTopics.twin("car-1"))?.payload);
    expect(JSON.parse(body)).toMatchObject({ id: "car-1", mec: "mec-b", status: "stable" });
    const all = state.systemPublications(0).find((p) => p.topic === dashboardTopics.twinsAll);
    expect(publicationBody(all?.payload)).toBe(`[${body}]`);
  });

  it("clears an expired twin's retained topics when it expired at its home", () => {
    const state = new ProxyState();
    state.applyTwin(twinFrom("mec-a", [cam("car-1", 0)]));
    expect(state.expire("car-1", "mec-b")).toEqual([]);
    const cleared = state.expire("car-1", "mec-a");
    expect(cleared.map((p) => [p.topic, p.payload, p.retain])).toEqual([
      [dashboardTopics.twin("car-1"), null, true],
      [dashboardTopics.twinObjects("car-1"), null, true],
    ]);
    expect(state.twin("car-1")).toBeUndefined();
  });

  it("lists known MECs in the system figures even without twins", () => {
    const state = new ProxyState(["mec-a", "mec-b"]);
    state.applyTwin(twinFrom("mec-a", [cam("car-1", 0, { speed: 25 })]));
    const [system, mecs] = state.systemPublications(0);
    expect(system?.payload).toMatchObject({
      twins: 1,
      "twins_mec-a": 1,
      "twins_mec-b": 0,
      averageSpeedKmh: 90,
    });
    expect(mecs?.payload).toEqual([
      { mec: "mec-a", twins: 1, ids: "car-1", averageSpeedKmh: 90 },
      { mec: "mec-b", twins: 0, ids: "", averageSpeedKmh: null },
    ]);
  });
});
