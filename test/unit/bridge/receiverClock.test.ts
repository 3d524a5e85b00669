import { describe, expect, it } from "vitest";
import { classify, type InboundMessage } from "../../../bridges/mqtt/classify.ts";
import { timeAheadRejection } from "../../../bridges/mqtt/receiverClock.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";

const RECEIVED_AT_MS = 1_700_000_000_000;

/** A vanetza-nap CAM whose envelope timestamp (Unix seconds) is `timestamp`. */
function camAt(timestamp: number): InboundMessage {
  const payload = JSON.stringify({
    stationID: 7,
    timestamp,
    fields: {
      header: { protocolVersion: 2, messageID: 2, stationID: 7 },
      cam: {
        generationDeltaTime: 1,
        camParameters: {
          basicContainer: { stationType: 5, referencePosition: { latitude: 40.6, longitude: -8.6 } },
          highFrequencyContainer: { basicVehicleContainerHighFrequency: { heading: 90, speed: 10 } },
        },
      },
    },
  });
  return { topic: "vanetza/out/cam", payload: Buffer.from(payload), receivedAtMs: RECEIVED_AT_MS };
}

describe("a station's time against the receiver's clock", () => {
  it("accepts times up to the allowed lead, and any time behind", () => {
    expect(timeAheadRejection(RECEIVED_AT_MS + 60_000, RECEIVED_AT_MS, 60_000)).toBeUndefined();
    expect(timeAheadRejection(RECEIVED_AT_MS - 86_400_000, RECEIVED_AT_MS, 60_000)).toBeUndefined();
  });

  it("rejects a time past the allowed lead, saying by how much and which setting allows it", () => {
    expect(timeAheadRejection(RECEIVED_AT_MS + 3_600_000, RECEIVED_AT_MS, 60_000)).toBe(
      "its time 2023-11-14T23:13:20.000Z is 3600.0 s ahead of the receiver's clock (at most 60 s allowed, VVCU_MAX_CLOCK_AHEAD_S)",
    );
  });

  it("rejects times no date can hold, and non-numbers", () => {
    expect(timeAheadRejection(1e303, RECEIVED_AT_MS, 60_000)).toMatch(/^its time 1e\+303 ms since 1970 is/);
    expect(timeAheadRejection(Number.NaN, RECEIVED_AT_MS, 60_000)).toBe(
      "its time (NaN) is not a number of milliseconds",
    );
  });

  it("classify dead-letters a CAM an hour ahead or stamped 1e300, as time-ahead", () => {
    const hourAhead = classify(camAt(RECEIVED_AT_MS / 1000 + 3600), "mec-a", decode, 60_000);
    expect(hourAhead).toMatchObject({ kind: "reject", code: "time-ahead" });
    const farFuture = classify(camAt(1e300), "mec-a", decode, 60_000);
    expect(farFuture).toMatchObject({ kind: "reject", code: "time-ahead" });
  });

  it("classify forwards a CAM a little ahead, and one from an hour ago", () => {
    expect(classify(camAt(RECEIVED_AT_MS / 1000 + 5), "mec-a", decode, 60_000).kind).toBe("forward");
    expect(classify(camAt(RECEIVED_AT_MS / 1000 - 3600), "mec-a", decode, 60_000).kind).toBe("forward");
  });
});
