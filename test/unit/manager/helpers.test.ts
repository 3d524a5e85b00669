import { describe, expect, it } from "vitest";
import { directoryOverHosts, type TwinSource } from "../../../functions/lib/manager/directory.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { authorized } from "../../../functions/lib/runtime/auth.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { twinAt } from "../geofence/tracks.ts";

describe("authorized", () => {
  it("accepts anything when no token is set", () => {
    expect(authorized(undefined, undefined)).toBe(true);
  });
  it("accepts exactly the bearer token", () => {
    expect(authorized("Bearer abc", "abc")).toBe(true);
    expect(authorized("bearer abc", "abc")).toBe(true);
    expect(authorized("Bearer abcd", "abc")).toBe(false);
    expect(authorized("Bearer ab", "abc")).toBe(false);
    expect(authorized("Basic abc", "abc")).toBe(false);
    expect(authorized("Bearer", "abc")).toBe(false);
    expect(authorized(undefined, "abc")).toBe(false);
  });
});

const source = (twins: Twin[]): TwinSource => ({
  twins: async () => twins,
  twin: async (id) => twins.find((twin) => twin.id === id),
});

describe("directoryOverHosts", () => {
  // Twin 42 is mid-migration: the target holds a hydrated copy, the home is still mec-a.
  const atA = twinAt(-100, 5, { id: "42", mec: "mec-a", status: "migrating" });
  const atB = twinAt(-100, 6, { id: "42", mec: "mec-b", status: "migrating" });
  const other = twinAt(300, 6, { id: "7", mec: "mec-b" });
  const sources = new Map([
    ["mec-a", source([atA])],
    ["mec-b", source([atB, other])],
  ]);

  it("lists each twin once, the copy at its home", async () => {
    const homes = new HomeRegistry();
    homes.setHome("42", "mec-a");
    const directory = directoryOverHosts(sources, homes);
    expect((await directory.list()).map((twin) => [twin.id, twin.mec])).toEqual([
      ["7", "mec-b"],
      ["42", "mec-a"],
    ]);
    expect((await directory.get("42"))?.mec).toBe("mec-a");
    homes.setHome("42", "mec-b");
    expect((await directory.get("42"))?.mec).toBe("mec-b");
    expect(await directory.get("nobody")).toBeUndefined();
  });

  it("without a home registry prefers a stable copy", async () => {
    const stableAtB = { ...atB, status: "stable" as const };
    const directory = directoryOverHosts(
      new Map([
        ["mec-a", source([atA])],
        ["mec-b", source([stableAtB])],
      ]),
    );
    expect((await directory.get("42"))?.mec).toBe("mec-b");
    expect(await directory.list()).toEqual([stableAtB]);
  });
});
