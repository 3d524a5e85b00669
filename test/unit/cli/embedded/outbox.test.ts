import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEADLINE_CHECK_MS, PublicationOutbox } from "../../../../cli/embedded/broker/outbox.ts";
import type { Publication } from "../../../../cli/embedded/broker/protocol.ts";

const publication = (topic: string) => ({ topic, payload: "{}", qos: 0 as const, retain: false });

describe("the broker thread's publication outbox", () => {
  let sent: Publication[][];
  let outbox: PublicationOutbox;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    outbox = new PublicationOutbox((publications) => sent.push(publications));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends one turn's publications as one batch, with distinct ids", async () => {
    void outbox.add(publication("a"), 1_000);
    void outbox.add(publication("b"), 1_000);
    expect(sent).toEqual([]);
    await vi.advanceTimersToNextTimerAsync();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.map((sentPublication) => sentPublication.topic)).toEqual(["a", "b"]);
    expect(new Set(sent[0]?.map((sentPublication) => sentPublication.id)).size).toBe(2);
  });

  it("resolves or rejects each publication by the broker's answer for its id", async () => {
    const first = outbox.add(publication("a"), 1_000);
    const second = outbox.add(publication("b"), 1_000);
    await vi.advanceTimersToNextTimerAsync();
    const [a, b] = sent[0] ?? [];
    outbox.answered([b?.id ?? -1, a?.id ?? -1], ["topic not allowed", undefined]);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toThrow("topic not allowed");
    expect(outbox.unanswered).toBe(0);
  });

  it("fails a publication the broker has not answered by its deadline, and only that one", async () => {
    const late = outbox.add(publication("dashboard/slow"), 500);
    const answeredInTime = outbox.add(publication("dashboard/ok"), 5_000);
    const lateOutcome = late.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(500 + DEADLINE_CHECK_MS);
    expect(await lateOutcome).toBe("publish to dashboard/slow not taken by the broker in 500 ms");
    expect(outbox.unanswered).toBe(1);
    outbox.answered([sent[0]?.[1]?.id ?? -1], [undefined]);
    await expect(answeredInTime).resolves.toBeUndefined();
    // The check stops itself at its next turn with nothing left to wait for.
    await vi.advanceTimersByTimeAsync(DEADLINE_CHECK_MS);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fails everything waiting and drops what is not sent yet when the broker goes", async () => {
    const waiting = outbox.add(publication("a"), 1_000);
    outbox.failAll(new Error("the embedded broker is closed"));
    await expect(waiting).rejects.toThrow("the embedded broker is closed");
    await vi.advanceTimersToNextTimerAsync();
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
