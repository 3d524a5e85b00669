import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import {
  connect,
  eventually,
  getJson,
  migrationsOf,
  postJson,
  publishCam,
  type StackProcess,
  startStackProcess,
  twin,
} from "./harness.ts";
import { crossingMigratesLosslessly, stationGetsTwinWhereItIs } from "./scenarios.ts";

// Child processes on a busy machine: generous time, since tests never assert timings.
describe("vvcu start with its embedded broker", { timeout: 90_000 }, () => {
  let stack: StackProcess;

  beforeAll(async () => {
    stack = await startStackProcess();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("prints where the console, API, docs and broker are, and serves /health and /docs", async () => {
    expect(stack.output()).toContain(`console  ${stack.apiUrl}/`);
    expect(stack.output()).toContain(`docs     ${stack.apiUrl}/docs`);
    expect(stack.output()).toMatch(/broker\s+mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\)/);
    expect((await getJson<{ status: string }>(`${stack.apiUrl}/health`)).status).toBe(200);
    const docs = await fetch(`${stack.apiUrl}/docs`, { signal: AbortSignal.timeout(5_000) });
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    const mecs = await getJson<{ id: string }[]>(`${stack.apiUrl}/api/v1/mecs`);
    expect(mecs.body.map((mec) => mec.id)).toEqual(["mec-a", "mec-b"]);
  });

  it("gives a station publishing CAMs a twin at the MEC whose zone contains it, as published", async () => {
    await stationGetsTwinWhereItIs(stack.apiUrl, stack.brokerUrl, 5001);
    const mecs = await getJson<{ id: string; twins: string[] }[]>(`${stack.apiUrl}/api/v1/mecs`);
    expect(mecs.body.find((mec) => mec.id === "mec-b")?.twins).toContain("5001");
    expect(mecs.body.find((mec) => mec.id === "mec-a")?.twins).not.toContain("5001");
  });

  it("migrates a twin driven across the border to the other MEC, losing and doubling nothing", async () => {
    await crossingMigratesLosslessly(stack.apiUrl, stack.brokerUrl, 5002);
  });

  it("completes a manual migration through the API and refuses a second one while it runs (409)", async () => {
    const client = await connect(stack.brokerUrl);
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      await publishCam(client, 5003, {
        lat: 40.62,
        lon: -8.65,
        speed: 0,
        heading: 90,
        timeMs: start + i * 100,
      });
    }
    await client.endAsync();
    await eventually("the parked station's twin at mec-b", async () => {
      const current = await twin(stack.apiUrl, 5003);
      return current?.mec === "mec-b" && current.messages.cam === 5 ? current : undefined;
    });
    const url = `${stack.apiUrl}/api/v1/twins/5003/migrations`;
    // The local driver finishes in milliseconds: on a busy machine it can finish between the two
    // requests, and the second then finds the twin already at the target (400). Such a round says
    // nothing about 409, so the twin is moved back and forth until two requests overlap.
    let home = "mec-b";
    let conflicts = 0;
    for (let round = 0; round < 6 && conflicts === 0; round++) {
      const target = home === "mec-b" ? "mec-a" : "mec-b";
      const answers = await Promise.all([
        postJson<Migration>(url, { target }),
        postJson<Migration>(url, { target }),
      ]);
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses[0]).toBe(202);
      expect([400, 409]).toContain(statuses[1]);
      const refused = answers.find((a) => a.status !== 202);
      expect(refused?.body).toHaveProperty("error");
      if (statuses[1] === 409) conflicts++;
      const accepted = answers.find((a) => a.status === 202)?.body as Migration;
      expect(accepted).toMatchObject({
        twin: "5003",
        from: home,
        to: target,
        trigger: "manual",
        status: "running",
      });

      const done = await eventually("the manual migration to complete", async () =>
        (await migrationsOf(stack.apiUrl, 5003)).find(
          (m) => m.id === accepted.id && m.status === "completed",
        ),
      );
      expect(done.timeUntilReadyMs).toBeGreaterThan(0);
      expect(done.timeUntilDoneMs).toBeGreaterThanOrEqual(done.timeUntilReadyMs as number);
      const moved = (await twin(stack.apiUrl, 5003)) as Twin;
      expect(moved.mec).toBe(target);
      expect(moved.messages.cam).toBe(5);
      expect(moved.position).toMatchObject({ lat: 40.62, lon: -8.65 });
      home = target;
    }
    expect(conflicts).toBe(1);

    expect((await postJson(url, { target: home })).status).toBe(400); // already there
    expect((await postJson(url, { target: "mec-z" })).status).toBe(400);
    expect(
      (await postJson(`${stack.apiUrl}/api/v1/twins/999999/migrations`, { target: "mec-a" })).status,
    ).toBe(404);
  });

  it("sends malformed input to the dead-letter topic and keeps serving", async () => {
    const listener = await connect(stack.brokerUrl);
    const records: { code: string; topic: string; reason: string }[] = [];
    listener.on("message", (_topic, payload) => records.push(JSON.parse(payload.toString())));
    await listener.subscribeAsync("vvcu/deadletter", { qos: 1 });
    const publisher = await connect(stack.brokerUrl);
    await publisher.publishAsync("vanetza/out/cam", "this is not json", { qos: 1 });
    await publisher.publishAsync("vanetza/out/cam", JSON.stringify({ fields: { cam: {} } }), { qos: 1 });
    await eventually("two dead-letter records", async () => (records.length >= 2 ? true : undefined));
    expect(records.map((r) => r.code)).toContain("not-json");
    expect(records.map((r) => r.code)).toContain("missing-station-id");
    expect(records.every((r) => r.topic === "vanetza/out/cam" && r.reason.length > 0)).toBe(true);
    await publishCam(publisher, 5004, { lat: 40.65, lon: -8.64, speed: 3, heading: 180, timeMs: Date.now() });
    const after = await eventually("a twin for a station after the bad input", () =>
      twin(stack.apiUrl, 5004),
    );
    expect(after.mec).toBe("mec-a");
    // One record per bad message, though both MECs' bridges see each one in this shared broker.
    expect(records).toHaveLength(2);
    expect((await getJson(`${stack.apiUrl}/health`)).status).toBe(200);
    await listener.endAsync();
    await publisher.endAsync();
  });

  it("stops cleanly on SIGTERM", async () => {
    const { code } = await stack.stop();
    expect(code).toBe(0);
    expect(stack.output()).toContain("vvcu: stopped");
  });
});
