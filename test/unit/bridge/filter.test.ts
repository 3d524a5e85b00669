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

  it("forwards a station migrating here (this MEC is a receiver), marked arriving", () => {
    expect(shouldForward("moving", { lat: 40.55, lon: -8.6 })).toBe("arriving");
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

describe("homeFilter with first sighting (a registry of this MEC's twins only, as in a cluster)", () => {
  const inA = { lat: 40.65, lon: -8.6 };
  const inB = { lat: 40.55, lon: -8.6 };
  const setup = () => {
    let now = 0;
    const homes = new HomeRegistry();
    const options = { firstSighting: { forgetAfterMs: 60_000, clock: () => now }, zoneOfPosition };
    return {
      homes,
      atA: homeFilter({ mec: "mec-a", homes, ...options }),
      atB: homeFilter({ mec: "mec-b", homes: new HomeRegistry(), ...options }),
      advance: (ms: number) => {
        now += ms;
      },
    };
  };

  it("keeps a new station with the MEC it was first seen in, while its first twin CNF is placed", () => {
    const { atA, atB } = setup();
    expect(atA("car", inA)).toBe(true);
    expect(atB("car", inA)).toBe(false);
    // It drives into B's zone before A's twin CNF exists: A still has its twin, B makes none.
    expect(atA("car", inB)).toBe(true);
    expect(atB("car", inB)).toBe(false);
  });

  it("forwards a station first seen elsewhere only once a migration brings it here", () => {
    const { atB } = setup();
    expect(atB("car", inA)).toBe(false);
    expect(atB("car", inB)).toBe(false);
  });

  it("does not take back a twin that left this MEC when its vehicle returns", () => {
    const { homes, atA } = setup();
    expect(atA("car", inA)).toBe(true);
    homes.setHome("car", "mec-a"); // its twin CNF here
    expect(atA("car", inB)).toBe(true);
    homes.remove("car"); // migrated to B: the twin CNF here is gone
    expect(atA("car", inB)).toBe(false);
    expect(atA("car", inA)).toBe(false);
  });

  it("treats a station silent for longer than a twin lives as new", () => {
    const { atA, atB, advance } = setup();
    expect(atB("car", inA)).toBe(false);
    advance(60_001);
    expect(atB("car", inB)).toBe(true);
    expect(atA("car", inB)).toBe(false);
  });

  it("waits for a position inside a zone before deciding", () => {
    const { atA } = setup();
    expect(atA("car")).toBe(false);
    expect(atA("car", { lat: 10, lon: 10 })).toBe(false);
    expect(atA("car", inA)).toBe(true);
  });

  it("marks the events of a twin a migration brings here arriving, until it lives here", () => {
    const { homes, atA } = setup();
    homes.addGuest("car", "mec-a");
    expect(atA("car", inB)).toBe("arriving");
    homes.setHome("car", "mec-a");
    expect(atA("car", inB)).toBe(true);
  });
});
