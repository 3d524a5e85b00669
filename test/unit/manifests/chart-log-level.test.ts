import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LOG_LEVELS } from "../../../functions/lib/log.ts";
import { ROOT, renderChart } from "./kube.ts";

const CHART = path.join(ROOT, "charts", "vvcu-mec");

/** LOG_LEVEL of every container of the rendered chart's vvcu workloads, by object. */
function logLevels(overrides: Record<string, unknown>): Map<string, string | undefined> {
  const levels = new Map<string, string | undefined>();
  for (const object of renderChart(CHART, overrides).objects) {
    const containers = object.spec?.template?.spec?.containers as
      | { image: string; env?: { name: string; value?: string }[] }[]
      | undefined;
    for (const container of containers ?? []) {
      if (!container.image.includes("vvcu")) continue; // Mosquitto, Redis: not ours
      const level = container.env?.find((entry) => entry.name === "LOG_LEVEL")?.value;
      levels.set(`${object.kind}/${object.metadata.name}`, level);
    }
  }
  return levels;
}

describe("charts/vvcu-mec logLevel", () => {
  it("reaches the bridge and every function as LOG_LEVEL", () => {
    const defaults = logLevels({});
    expect([...defaults.keys()]).toEqual(
      expect.arrayContaining(["ContainerSource/vvcu-bridge", "Service/vvcu-twin", "Service/vvcu-proxy"]),
    );
    expect(new Set(defaults.values())).toEqual(new Set(["info"]));
    const debug = logLevels({ logLevel: "debug" });
    expect([...debug.keys()]).toEqual([...defaults.keys()]);
    expect(new Set(debug.values())).toEqual(new Set(["debug"]));
  });

  it("offers exactly the levels the logger knows", () => {
    const schema = JSON.parse(readFileSync(path.join(CHART, "values.schema.json"), "utf8"));
    expect(schema.properties.logLevel.enum).toEqual([...LOG_LEVELS]);
  });
});
