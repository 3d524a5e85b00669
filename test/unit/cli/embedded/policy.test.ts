import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { StationFlow } from "../../../../cli/embedded/flow.ts";
import { forgetExpired, placeOnFirstMessage } from "../../../../cli/embedded/policy.ts";
import { PlacementRegistry } from "../../../../functions/lib/runtime/placement.ts";

const expired = (twin: string) =>
  new CloudEvent({ id: `e-${twin}`, source: "/twin", type: "io.vvcu.twin.expired", subject: twin, data: {} });

describe("the embedded stack's policy", () => {
  it("places a new station at the MEC whose bridge forwards its first message, and only then", () => {
    const placement = new PlacementRegistry();
    const flow = new StationFlow();
    const atA = placeOnFirstMessage("mec-a", placement, flow, () => true);
    const refusedAtB = placeOnFirstMessage("mec-b", placement, flow, () => false);
    expect(refusedAtB("1001", { lat: 40.64, lon: -8.65 })).toBe(false);
    expect(placement.homeOf("1001")).toBeUndefined();
    expect(atA("1001", { lat: 40.64, lon: -8.65 })).toBe(true);
    expect(placement.homeOf("1001")).toBe("mec-a");
    // A later forward elsewhere does not move it: the geofence does that.
    const alsoAtB = placeOnFirstMessage("mec-b", placement, flow, () => true);
    alsoAtB("1001", undefined);
    expect(placement.homeOf("1001")).toBe("mec-a");
  });

  it("forgets an expired twin only on the MEC that is its home", () => {
    const placement = new PlacementRegistry();
    const flow = new StationFlow();
    placement.setHome("1001", "mec-a");
    forgetExpired("mec-b", placement, flow)(expired("1001"));
    expect(placement.homeOf("1001")).toBe("mec-a");
    forgetExpired("mec-a", placement, flow)(expired("1001"));
    expect(placement.homeOf("1001")).toBeUndefined();
  });

  it("ignores every other event", () => {
    const placement = new PlacementRegistry();
    placement.setHome("1001", "mec-a");
    const updated = new CloudEvent({
      id: "u",
      source: "/twin",
      type: "io.vvcu.twin.updated",
      subject: "1001",
      data: {},
    });
    forgetExpired("mec-a", placement, new StationFlow())(updated);
    expect(placement.homeOf("1001")).toBe("mec-a");
  });
});
