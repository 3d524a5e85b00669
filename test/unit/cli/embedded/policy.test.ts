import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { StationFlow } from "../../../../cli/embedded/flow.ts";
import { forgetExpired, homeOnFirstMessage } from "../../../../cli/embedded/policy.ts";
import { HomeRegistry } from "../../../../functions/lib/runtime/homeRegistry.ts";

const expired = (twin: string) =>
  new CloudEvent({ id: `e-${twin}`, source: "/twin", type: "io.vvcu.twin.expired", subject: twin, data: {} });

describe("the embedded stack's policy", () => {
  it("places a new station at the MEC whose bridge forwards its first message, and only then", () => {
    const homes = new HomeRegistry();
    const flow = new StationFlow();
    const atA = homeOnFirstMessage("mec-a", homes, flow, () => true);
    const refusedAtB = homeOnFirstMessage("mec-b", homes, flow, () => false);
    expect(refusedAtB("1001", { lat: 40.64, lon: -8.65 })).toBe(false);
    expect(homes.homeOf("1001")).toBeUndefined();
    expect(atA("1001", { lat: 40.64, lon: -8.65 })).toBe(true);
    expect(homes.homeOf("1001")).toBe("mec-a");
    // A later forward elsewhere does not move it: the geofence does that.
    const alsoAtB = homeOnFirstMessage("mec-b", homes, flow, () => true);
    alsoAtB("1001", undefined);
    expect(homes.homeOf("1001")).toBe("mec-a");
  });

  it("forgets an expired twin only on the MEC that is its home", () => {
    const homes = new HomeRegistry();
    const flow = new StationFlow();
    homes.setHome("1001", "mec-a");
    forgetExpired("mec-b", homes, flow)(expired("1001"));
    expect(homes.homeOf("1001")).toBe("mec-a");
    forgetExpired("mec-a", homes, flow)(expired("1001"));
    expect(homes.homeOf("1001")).toBeUndefined();
  });

  it("ignores every other event", () => {
    const homes = new HomeRegistry();
    homes.setHome("1001", "mec-a");
    const updated = new CloudEvent({
      id: "u",
      source: "/twin",
      type: "io.vvcu.twin.updated",
      subject: "1001",
      data: {},
    });
    forgetExpired("mec-a", homes, new StationFlow())(updated);
    expect(homes.homeOf("1001")).toBe("mec-a");
  });
});
