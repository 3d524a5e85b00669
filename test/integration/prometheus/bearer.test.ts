/**
 * With VVCU_API_TOKEN, /metrics needs the token too: Prometheus sends it from a file, as
 * grafana/prometheus.yml shows, and a scrape without it gets nothing.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StackProcess, startStackProcess } from "../../e2e/harness.ts";
import { type RunningServer, startPrometheus } from "../../helpers/servers.ts";
import { instantQuery, waitFor } from "./prometheusApi.ts";

const TOKEN = "scrape-token";

describe("Prometheus scraping a stack with an API token", { timeout: 90_000 }, () => {
  let stack: StackProcess;
  let prometheus: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-bearer-"));
    const tokenFile = path.join(dir, "vvcu-api-token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    stack = await startStackProcess({ VVCU_API_TOKEN: TOKEN });
    prometheus = await startPrometheus([new URL(stack.apiUrl).host], 1, { bearerTokenFile: tokenFile });
  });

  afterAll(async () => {
    await prometheus?.dispose();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("scrapes with the token from its file, and gets nothing without it", async () => {
    const up = await waitFor(
      "both jobs scraped once",
      () => instantQuery(prometheus.url, "up"),
      (samples) => samples.length === 2,
    );
    const byJob = new Map(up.map((sample) => [sample.labels.job, sample.value]));
    expect(byJob.get("vvcu")).toBe(1);
    expect(byJob.get("vvcu-anonymous")).toBe(0);
    const scraped = await instantQuery(prometheus.url, 'count({job="vvcu", __name__=~"vvcu_.+"})');
    expect(scraped[0]?.value).toBeGreaterThan(10);
    expect(await instantQuery(prometheus.url, 'count({job="vvcu-anonymous", __name__=~"vvcu_.+"})')).toEqual(
      [],
    );
  });
});
