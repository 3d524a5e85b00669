import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AckSequencer } from "../../../bridges/mqtt/ackSequencer.ts";

describe("AckSequencer", () => {
  it("holds a later ack until every earlier message is done", () => {
    const acks = new AckSequencer<string>();
    const a = acks.add("a");
    const b = acks.add("b");
    const c = acks.add("c");
    expect(acks.complete(c)).toEqual([]);
    expect(acks.complete(b)).toEqual([]);
    expect(acks.complete(a)).toEqual(["a", "b", "c"]);
    expect(acks.pending).toBe(0);
  });

  it("ignores a second completion of the same ticket", () => {
    const acks = new AckSequencer<number>();
    const first = acks.add(1);
    expect(acks.complete(first)).toEqual([1]);
    expect(acks.complete(first)).toEqual([]);
  });

  it("releases every message once, in arrival order, whatever the completion order", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
            ),
          ),
        ([n, order]) => {
          const acks = new AckSequencer<number>();
          const tickets = [...Array(n).keys()].map((i) => acks.add(i));
          const released: number[] = [];
          for (const index of order) released.push(...acks.complete(tickets[index] as number));
          expect(released).toEqual([...Array(n).keys()]);
          expect(acks.pending).toBe(0);
        },
      ),
    );
  });
});
