/**
 * DENM state per EN 302 637-3, keyed by actionId: updates with a newer reference time replace a
 * hazard, repeats and older ones change nothing; a cancellation (from the originator) or a
 * negation (from another station) ends it, and a late repeat of the original stays ended.
 */
import { describe, expect, it } from "vitest";
import type { DenmMessage } from "../../../../functions/lib/cits/types.ts";
import { twinOptions } from "../../../../functions/lib/twin/state/options.ts";
import type { TwinRecord } from "../../../../functions/lib/twin/state/records.ts";
import { applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";
import { denm, T0 } from "../messages.ts";

const options = twinOptions({});

function run(messages: DenmMessage[]): TwinRecord {
  let record: TwinRecord | undefined;
  messages.forEach((message, index) => {
    record = applyEvent(record, message, `e${index}`, {
      mec: "mec-a",
      nowMs: T0 + index * 100,
      options,
    }).record;
  });
  if (!record) throw new Error("no events");
  return record;
}

/** A DENM sent by `sender` about the event `actionId`, last updated at T0 + `referenceS` seconds. */
function update(sender: string, actionId: string, referenceS: number, fields: Partial<DenmMessage> = {}) {
  return denm(sender, referenceS * 10, { actionId, referenceTimeMs: T0 + referenceS * 1000, ...fields });
}

const cases: { name: string; messages: DenmMessage[]; hazards: [string, number][] }[] = [
  {
    name: "a newer update replaces the hazard",
    messages: [update("5", "5:1", 0), update("5", "5:1", 1, { eventType: { causeCode: 2 } })],
    hazards: [["5:1", 2]],
  },
  {
    name: "an older update, arriving late, changes nothing",
    messages: [update("5", "5:1", 2, { eventType: { causeCode: 2 } }), update("5", "5:1", 1)],
    hazards: [["5:1", 2]],
  },
  {
    name: "a repeat (same reference time) changes nothing",
    messages: [update("5", "5:1", 1), update("5", "5:1", 1, { eventType: { causeCode: 3 } })],
    hazards: [["5:1", 97]],
  },
  {
    name: "a cancellation from the originator ends it",
    messages: [update("5", "5:1", 0), update("5", "5:1", 1, { termination: "isCancellation" })],
    hazards: [],
  },
  {
    name: "a repeat of the original after its cancellation does not bring it back",
    messages: [
      update("5", "5:1", 0),
      update("5", "5:1", 1, { termination: "isCancellation" }),
      update("5", "5:1", 0),
    ],
    hazards: [],
  },
  {
    name: "a negation from the originator is not valid and is ignored",
    messages: [update("5", "5:1", 0), update("5", "5:1", 1, { termination: "isNegation" })],
    hazards: [["5:1", 97]],
  },
  {
    name: "a station relaying another's DENM: its cancellation is not valid",
    messages: [update("7", "5:1", 0), update("7", "5:1", 1, { termination: "isCancellation" })],
    hazards: [["5:1", 97]],
  },
  {
    name: "a station relaying another's DENM: its negation ends it",
    messages: [update("7", "5:1", 0), update("7", "5:1", 1, { termination: "isNegation" })],
    hazards: [],
  },
  {
    name: "other actions are kept apart",
    messages: [
      update("5", "5:1", 0),
      update("5", "5:2", 0),
      update("5", "5:1", 1, { termination: "isCancellation" }),
    ],
    hazards: [["5:2", 97]],
  },
];

describe("DENM state by actionId", () => {
  for (const { name, messages, hazards } of cases) {
    it(name, () => {
      const record = run(messages);
      expect(record.twin.hazards.map((hazard) => [hazard.actionId, hazard.causeCode])).toEqual(hazards);
      expect(record.twin.messages.denm).toBe(messages.length);
    });
  }

  it("keeps the reference time of the hazard, and remembers ended actions up to maxHazards", () => {
    const kept = run([update("5", "5:1", 3)]);
    expect(kept.twin.hazards[0]?.referenceTime).toBe(new Date(T0 + 3000).toISOString());
    const many: DenmMessage[] = [];
    for (let i = 0; i < options.maxHazards + 5; i++)
      many.push(update("5", `5:${i}`, i, { termination: "isCancellation" }));
    const ended = run(many).accumulators?.endedDenms ?? {};
    expect(Object.keys(ended)).toHaveLength(options.maxHazards);
    expect(ended[`5:${options.maxHazards + 4}`]).toBe(T0 + (options.maxHazards + 4) * 1000);
    expect(ended["5:0"]).toBeUndefined();
  });
});
