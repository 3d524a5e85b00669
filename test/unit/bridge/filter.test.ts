import { describe, expect, it } from "vitest";
import { placementFilter } from "../../../bridges/mqtt/filter.ts";
import { PlacementRegistry } from "../../../functions/lib/runtime/placement.ts";

const zoneOfPosition = (lat: number, _lon: number) =>
  lat >= 40.6 ? "mec-a" : lat >= 40.5 ? "mec-b" : undefined;

describe("placementFilter", () => {
  const placement = new PlacementRegistry();
  placement.setHome("here", "mec-a");
  placement.setHome("there", "mec-b");
  placement.setHome("moving", "mec-b");
  placement.addGuest("moving", "mec-a");
  const shouldForward = placementFilter({ mec: "mec-a", placement, zoneOfPosition });

  it("forwards a station whose twin lives here, wherever it is", () => {
    expect(shouldForward("here", { lat: 40.55, lon: -8.6 })).toBe(true);
    expect(shouldForward("here")).toBe(true);
  });

  it("forwards a station migrating here (this MEC is a receiver)", () => {
    expect(shouldForward("moving", { lat: 40.55, lon: -8.6 })).toBe(true);
  });

  it("does not forward a station hosted elsewhere, even in this zone", () => {
    expect(shouldForward("there", { lat: 40.65, lon: -8.6 })).toBe(false);
  });

  it("forwards an unhosted station only when it stands in this zone", () => {
    expect(shouldForward("new", { lat: 40.65, lon: -8.6 })).toBe(true);
    expect(shouldForward("new", { lat: 40.55, lon: -8.6 })).toBe(false);
    expect(shouldForward("new", { lat: 10, lon: 10 })).toBe(false);
    expect(shouldForward("new")).toBe(false);
  });

  it("follows placement changes without being rebuilt", () => {
    placement.setHome("later", "mec-b");
    expect(shouldForward("later")).toBe(false);
    placement.setHome("later", "mec-a");
    expect(shouldForward("later")).toBe(true);
  });
});
