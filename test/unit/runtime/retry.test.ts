import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { backoffCeiling, backoffDelay, parseRetryAfter } from "../../../functions/lib/runtime/backoff.ts";
import { emitWithRetry } from "../../../functions/lib/runtime/emit/retry.ts";
import { EmitAborted, SinkError } from "../../../functions/lib/runtime/emit/sink.ts";

const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };
const event = new CloudEvent({ id: "1", type: "t", source: "/s" });
const fast = { initialMs: 1, maxMs: 2, factor: 2 };

describe("backoff", () => {
  it("doubles from the initial ceiling up to the cap", () => {
    expect([0, 1, 2, 3, 4, 10].map((attempt) => backoffCeiling(attempt, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it("keeps every delay between half the ceiling and the ceiling", () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(200);
    expect(backoffDelay(2, policy, () => 1)).toBe(400);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(300);
  });

  it("reads Retry-After in seconds or as a date", () => {
    expect(parseRetryAfter("3", 0)).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("emitWithRetry", () => {
  it("retries retryable failures with growing delays until delivered", async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await emitWithRetry(
      {
        emit: async () => {
          calls++;
          if (calls < 4) throw new SinkError("503", true, 503);
        },
      },
      event,
      {
        policy: { initialMs: 1, maxMs: 100, factor: 2 },
        random: () => 1,
        onRetry: (_e, _a, delay) => delays.push(delay),
      },
    );
    expect(result.attempts).toBe(4);
    expect(delays).toEqual([1, 2, 4]);
  });

  it("honours a longer Retry-After", async () => {
    const delays: number[] = [];
    let calls = 0;
    await emitWithRetry(
      {
        emit: async () => {
          if (calls++ === 0) throw new SinkError("429", true, 429, "", 20);
        },
      },
      event,
      { policy: fast, onRetry: (_e, _a, delay) => delays.push(delay) },
    );
    expect(delays).toEqual([20]);
  });

  it("throws a non-retryable failure at once, with the sink's answer", async () => {
    let calls = 0;
    const failure = emitWithRetry(
      {
        emit: async () => {
          calls++;
          throw new SinkError("400", false, 400, "bad event");
        },
      },
      event,
      { policy: fast },
    );
    await expect(failure).rejects.toMatchObject({ retryable: false, status: 400, body: "bad event" });
    expect(calls).toBe(1);
  });

  it("treats an unknown error as retryable", async () => {
    let calls = 0;
    await emitWithRetry(
      {
        emit: async () => {
          if (calls++ === 0) throw new Error("ECONNRESET");
        },
      },
      event,
      { policy: fast },
    );
    expect(calls).toBe(2);
  });

  it("stops with EmitAborted when the signal aborts", async () => {
    const stop = new AbortController();
    const failure = emitWithRetry(
      {
        emit: async () => {
          stop.abort();
          throw new SinkError("503", true, 503);
        },
      },
      event,
      { policy: { initialMs: 60_000, maxMs: 60_000, factor: 1 }, signal: stop.signal },
    );
    await expect(failure).rejects.toBeInstanceOf(EmitAborted);
  });
});
