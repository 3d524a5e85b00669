import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../../functions/lib/config.ts";
import {
  DEFAULT_TWIN_OPTIONS,
  twinOptions,
  twinOptionsFromConfig,
} from "../../../../functions/lib/twin/state/options.ts";

describe("twin options", () => {
  it("takes VVCU_TWIN_* from the environment and keeps the other defaults", () => {
    const config = loadConfig({
      VVCU_TWIN_STALE_AFTER_S: "5",
      VVCU_TWIN_EXPIRE_AFTER_S: "120",
      VVCU_TWIN_NEIGHBOUR_RADIUS_M: "150",
      VVCU_TWIN_UPDATES_PER_S: "4",
    });
    expect(twinOptionsFromConfig(config)).toEqual({
      ...DEFAULT_TWIN_OPTIONS,
      staleAfterMs: 5_000,
      expireAfterMs: 120_000,
      neighbourRadiusM: 150,
      maxUpdatesPerSecond: 4,
    });
    expect(twinOptionsFromConfig(loadConfig({}))).toEqual(DEFAULT_TWIN_OPTIONS);
  });

  it("rejects values that make no sense, naming the option", () => {
    expect(() => twinOptions({ neighbourRadiusM: 0 })).toThrow(/neighbourRadiusM/);
    expect(() => twinOptions({ maxUpdatesPerSecond: Number.NaN })).toThrow(/maxUpdatesPerSecond/);
    expect(() => twinOptions({ staleAfterMs: 10_000, expireAfterMs: 5_000 })).toThrow(/expireAfterMs/);
    expect(twinOptions({ trajectoryIntervalMs: 0 }).trajectoryIntervalMs).toBe(0);
    expect(() => twinOptions({ maxNeighbours: 0 })).toThrow(/maxNeighbours/);
    expect(() => twinOptions({ maxNeighbours: 2.5 })).toThrow(/maxNeighbours must be a whole number/);
    expect(twinOptions({ maxNeighbours: 5 }).maxNeighbours).toBe(5);
    expect(() => loadConfig({ VVCU_TWIN_STALE_AFTER_S: "-1" })).toThrow(/VVCU_TWIN_STALE_AFTER_S/);
  });
});
