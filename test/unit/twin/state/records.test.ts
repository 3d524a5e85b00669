import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  APPLIED_EVENT_WINDOW,
  appliedIdsOf,
  hasApplied,
  type TwinRecord,
  withAppliedId,
} from "../../../../functions/lib/twin/state/records.ts";

const twin = {} as TwinRecord["twin"]; // the id window does not look at the twin

/** The record after each id, as the reducer builds them (it asks before it adds). */
function chain(ids: string[], from?: TwinRecord): TwinRecord[] {
  const records: TwinRecord[] = [];
  let record = from;
  for (const id of ids) {
    if (record) hasApplied(record, id);
    record = { twin, ...withAppliedId(record, id) };
    records.push(record);
  }
  return records;
}

describe("the idempotence window of applied event ids", () => {
  it("answers like a scan of the window, for the newest record and for old ones asked again", () => {
    fc.assert(
      fc.property(
        // few distinct ids, so the window holds repeats (a hydrated snapshot may) and drops some
        fc.array(fc.integer({ min: 0, max: 400 }).map(String), { minLength: 1, maxLength: 700 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }).map(String), { minLength: 1, maxLength: 10 }),
        (ids, picks, asked) => {
          const records = chain(ids);
          const newest = records.at(-1) as TwinRecord;
          for (const record of [
            newest,
            ...picks.map((pick) => records[pick % records.length] as TwinRecord),
          ]) {
            const window = appliedIdsOf(record);
            expect(window.length).toBeLessThanOrEqual(APPLIED_EVENT_WINDOW + 16);
            for (const id of asked) expect(hasApplied(record, id)).toBe(window.includes(id));
          }
          // a replay from an old record (a lost race re-applied on stale state) stays exact
          const replayed = chain(asked, records[(picks[0] as number) % records.length]).at(-1) as TwinRecord;
          for (const id of [...asked, ...ids.slice(-5)]) {
            expect(hasApplied(replayed, id)).toBe(appliedIdsOf(replayed).includes(id));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("keeps the newest APPLIED_EVENT_WINDOW ids and forgets older ones", () => {
    const ids = Array.from({ length: 1_000 }, (_, index) => `e${index}`);
    const newest = chain(ids).at(-1) as TwinRecord;
    const window = appliedIdsOf(newest);
    expect(window.at(-1)).toBe("e999");
    expect(window.length).toBeGreaterThanOrEqual(APPLIED_EVENT_WINDOW);
    expect(hasApplied(newest, "e999")).toBe(true);
    expect(hasApplied(newest, `e${1_000 - APPLIED_EVENT_WINDOW}`)).toBe(true);
    expect(hasApplied(newest, "e10")).toBe(false);
  });
});
