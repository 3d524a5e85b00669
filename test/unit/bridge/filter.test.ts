import { describe, expect, it } from "vitest";
import { homeFilter } from "../../../bridges/mqtt/filter.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";

const zoneOfPosition = (lat: number, _lon: number) =>
  lat >= 40.6 ? "mec-a" : lat >= 40.5 ? "mec-b" : undefined;

describe("homeFilter", () => {
  const homes = new HomeRegistry();
  homes.setHome("here", "mec-a");
  homes.setHome("there", "mec-b");
  homes.setHome("moving", "mec-b");
  homes.addGuest("moving", "mec-a");
  const shouldForward = homeFilter({ mec: "mec-a", homes, zoneOfPosition });

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

  it("follows home changes without being rebuilt", () => {
    homes.setHome("later", "mec-b");
    expect(shouldForward("later")).toBe(false);
    homes.setHome("later", "mec-a");
    expect(shouldForward("later")).toBe(true);
  });
});
