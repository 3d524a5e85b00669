import { describe, expect, it } from "vitest";
import {
  EVENT_CATALOG,
  type EventData,
  markOwnEventData,
  parseEventData,
} from "../../../../functions/lib/events.ts";
import { CollectingSink } from "../../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent } from "../../twin/events.ts";
import { cam, T0 } from "../../twin/messages.ts";

describe("event data built in process", () => {
  it("twin events carry data the catalog accepts unchanged, and parseEventData hands it over as it is", async () => {
    let now = T0;
    const sink = new CollectingSink();
    const twins = new TwinService({
      mec: "mec-a",
      store: new MemoryTwinStore(),
      sink,
      clock: () => now,
      options: { maxUpdatesPerSecond: 1_000 },
    });
    for (let i = 0; i < 5; i++) {
      await twins.handle(citsEvent(cam("2001", i), `ev-${i}`));
      await twins.handle(citsEvent(cam("2002", i), `ev-b-${i}`));
      now += 100;
      await twins.drain();
    }
    await twins.drain();
    const twinEvents = sink.events.filter((event) => event.type.startsWith("io.vvcu.twin."));
    expect(twinEvents.map((event) => event.type)).toContain("io.vvcu.twin.updated");
    for (const event of twinEvents) {
      const type = event.type as "io.vvcu.twin.updated";
      const checked = EVENT_CATALOG[type].data.safeParse(event.data);
      expect(checked.success).toBe(true);
      if (checked.success) expect(checked.data).toEqual(event.data);
      const parsed = parseEventData(type, event.data);
      expect(parsed.ok && parsed.data).toBe(event.data);
    }
  });

  it("still checks data it did not build: a look-alike object goes through zod", () => {
    const lookAlike = { twin: { id: "x" } };
    expect(parseEventData("io.vvcu.twin.updated", lookAlike).ok).toBe(false);
    // Deliberately incomplete (no lastSeen): marked data is trusted as built, never re-checked.
    const incomplete = { id: "x", mec: "mec-a" } as unknown as EventData<"io.vvcu.twin.expired">;
    const marked = markOwnEventData("io.vvcu.twin.expired", incomplete);
    expect(parseEventData("io.vvcu.twin.expired", marked)).toEqual({ ok: true, data: marked });
  });
});
