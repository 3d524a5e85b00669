/**
 * The geofence and the engine wired as the embedded stack wires them: the geofence's
 * migration.requested goes to the engine, the engine's changes go back to the geofence.
 */
import { CloudEvent, type CloudEventV1 } from "cloudevents";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { GeofenceService } from "../../../functions/lib/geofence/service.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { FakeDriver } from "../migration/fakeDriver.ts";
import { T0, twinAt, ZONES } from "./tracks.ts";

const silent = pino({ level: "silent" });

describe("geofence and migration engine together", () => {
  it("a vehicle driving across and back moves its twin twice, each once, and requests nothing in between", async () => {
    const homes = new HomeRegistry();
    homes.setHome("42", "mec-a");
    const driver = new FakeDriver("fake");
    driver.at("mec-a").add("42");
    const engine = new MigrationEngine({
      mecs: ["mec-a", "mec-b"],
      driverFor: () => driver,
      homes,
      journal: new MemoryJournal(),
      sink: new CollectingSink(),
      logger: silent,
    });
    const requests: CloudEventV1<unknown>[] = [];
    let now = T0;
    const geofence = new GeofenceService({
      zones: ZONES,
      sink: {
        emit: async (event) => {
          requests.push(event);
          await engine.handleEvent(event);
        },
      },
      options: { prediction: false, cooldownMs: 5_000 },
      homeOf: (twin) => homes.homeOf(twin),
      now: () => now,
      logger: silent,
    });
    engine.onChange((migration) => geofence.noteMigration(migration));

    const xs = [
      ...Array.from({ length: 20 }, (_, k) => -200 + 25 * k),
      ...Array.from({ length: 30 }, (_, k) => 275 - 25 * k),
    ];
    for (const [k, x] of xs.entries()) {
      now = T0 + k * 1000;
      const twin = twinAt(x, k, { mec: homes.homeOf("42") ?? "mec-a" });
      await geofence.handle(
        new CloudEvent({ type: "io.vvcu.twin.updated", source: "/test", data: { twin } }),
      );
      for (const migration of engine.list()) await engine.settled(migration.id);
    }
    const migrations = engine.list().reverse();
    expect(migrations.map((m) => [m.from, m.to, m.status, m.trigger, m.reason])).toEqual([
      ["mec-a", "mec-b", "completed", "geofence", "entered-zone"],
      ["mec-b", "mec-a", "completed", "geofence", "entered-zone"],
    ]);
    expect(requests).toHaveLength(2);
    expect(homes.receiversOf("42")).toEqual(["mec-a"]);
    expect(driver.at("mec-a").has("42")).toBe(true);
    expect(driver.at("mec-b").has("42")).toBe(false);
  });
});
