import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { metrics } from "../../../functions/lib/metrics.ts";
import { closeMetricsListener, serveMetricsFromEnv } from "../../../functions/lib/runtime/metricsListener.ts";
import { freePort, waitForPort } from "../../helpers/servers.ts";

describe("a function's metrics listener", () => {
  afterEach(() => closeMetricsListener());

  it("serves the registry on VVCU_METRICS_PORT and nothing else", async () => {
    const port = await freePort();
    metrics.twinEventsApplied.inc({ mec: "mec-listener", type: "cam" }, 3);
    expect(serveMetricsFromEnv({ VVCU_METRICS_PORT: String(port) })).toBeDefined();
    await waitForPort(port);
    const answer = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('vvcu_twin_events_applied_total{mec="mec-listener",type="cam"} 3');
    const other = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    expect(other.status).toBe(404);
  });

  it("with VVCU_API_TOKEN, answers only a request that carries it", async () => {
    const port = await freePort();
    expect(
      serveMetricsFromEnv({ VVCU_METRICS_PORT: String(port), VVCU_API_TOKEN: "scrape-me" }),
    ).toBeDefined();
    await waitForPort(port);
    const url = `http://127.0.0.1:${port}/metrics`;
    const without = await fetch(url, { signal: AbortSignal.timeout(5000) });
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await fetch(url, {
      headers: { authorization: "Bearer nope" },
      signal: AbortSignal.timeout(5000),
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(url, {
      headers: { authorization: "Bearer scrape-me" },
      signal: AbortSignal.timeout(5000),
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain("vvcu_twin_events_applied_total");
  });

  it("stays shut when the token file cannot be read", () => {
    expect(
      serveMetricsFromEnv({ VVCU_METRICS_PORT: "0", VVCU_API_TOKEN_FILE: "/nonexistent/vvcu-token" }),
    ).toBeUndefined();
  });

  it("starts nothing when the variable is unset", () => {
    expect(serveMetricsFromEnv({})).toBeUndefined();
  });
});

describe("the Knative Services", () => {
  it("let Prometheus scrape each CloudEvent function on the port it listens on", () => {
    const services = parseAllDocuments(readFileSync("knative/services.yaml", "utf8")).map((d) => d.toJS());
    const scraped = services.filter((s) => s.spec.template.metadata.annotations["prometheus.io/scrape"]);
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual([
      "vvcu-geofence",
      "vvcu-migration",
      "vvcu-proxy",
      "vvcu-twin",
    ]);
    for (const service of scraped) {
      const env = service.spec.template.spec.containers[0].env as { name: string; value: string }[];
      const port = env.find((entry) => entry.name === "VVCU_METRICS_PORT")?.value;
      expect(port).toBe(service.spec.template.metadata.annotations["prometheus.io/port"]);
    }
  });
});
