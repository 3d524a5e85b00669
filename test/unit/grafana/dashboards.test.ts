import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ConfigSchema } from "../../../functions/lib/config.ts";
import { DASHBOARDS_DIR, renderDashboards } from "../../../scripts/gen-dashboards.ts";
import { ROOT } from "../manifests/kube.ts";
import {
  dashboardProblems,
  metricsIn,
  prometheusExpressions,
  publishedFields,
  topicMatches,
} from "./references.ts";

const GRAFANA = path.join(ROOT, "grafana");
const generated = renderDashboards();
// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON, checked field by field below
const dashboards: Record<string, any> = Object.fromEntries(
  Object.entries(generated).map(([file, text]) => [file, JSON.parse(text)]),
);
let published: Map<string, Set<string>>;

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { encoding: "utf8", timeout: 30_000 });
  if (result.error)
    throw new Error(`promtool (Debian package prometheus) is needed: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

beforeAll(async () => {
  published = await publishedFields();
});

describe("grafana/dashboards", () => {
  it("are exactly what scripts/gen-dashboards.ts generates (npm run dashboards)", () => {
    expect(Object.keys(generated).sort()).toEqual(["system.json", "twin.json"]);
    for (const [file, text] of Object.entries(generated)) {
      const committed = path.join(DASHBOARDS_DIR, file);
      expect(existsSync(committed), `${committed} is missing: run npm run dashboards`).toBe(true);
      expect(
        readFileSync(committed, "utf8") === text,
        `${file} differs from the generator: run npm run dashboards`,
      ).toBe(true);
    }
  });

  it("refer only to topics and fields the proxy publishes and metrics metrics.ts exports", () => {
    expect(published.size).toBeGreaterThan(5);
    for (const dashboard of Object.values(dashboards))
      expect(dashboardProblems(dashboard, published)).toEqual([]);
  });

  it("catch a typo in a field, a topic, a field pattern or a metric", () => {
    const system = dashboards["system.json"];
    const typo = (mutate: (copy: typeof system) => void) => {
      const copy = structuredClone(system);
      mutate(copy);
      return dashboardProblems(copy, published);
    };
    const panel = (copy: typeof system, title: string) =>
      copy.panels.find((each: { title: string }) => each.title === title);
    expect(
      typo((copy) => {
        panel(copy, "Average speed").transformations[0].options.include.names = ["averageSpeedKmhh"];
      }),
    ).toEqual(['vvcu-system panel "Average speed": field averageSpeedKmhh is not published on its topics']);
    const network = (copy: typeof system) =>
      panel(copy, "Network flow and signal quality").transformations.find(
        (each: { id: string }) => each.id === "filterFieldsByName",
      ).options.include;
    expect(
      typo((copy) => {
        network(copy).names = ["id", "throughputBps", "rsrpDBm"];
      }),
    ).toEqual([
      'vvcu-system panel "Network flow and signal quality": field rsrpDBm is not published on its topics',
    ]);
    expect(
      typo((copy) => {
        panel(copy, "Twins").targets[0].topic = "vvcu/dashboard/sytem";
      }).join("\n"),
    ).toMatch(/topic vvcu\/dashboard\/sytem is not a dashboard topic/);
    expect(
      typo((copy) => {
        panel(copy, "Twins per MEC").transformations[0].options.include.pattern = "^twin_(.+)$";
      }),
    ).toEqual(['vvcu-system panel "Twins per MEC": no published field matches ^twin_(.+)$']);
    expect(
      typo((copy) => {
        panel(copy, "Rejected input").targets[0].expr = "rate(vvcu_bridge_messages_rejectd_total[5m])";
      }),
    ).toEqual([
      'vvcu-system panel "Rejected input": metric vvcu_bridge_messages_rejectd_total is not in metrics.ts',
    ]);
    expect(
      typo((copy) => {
        panel(copy, "OBUs, RSUs and perceived objects").options.layers[0].location.latitude = "latitude";
      }).join("\n"),
    ).toMatch(/places by latitude, not published/);
  });

  it("show every twin's network flow and signal quality on the System dashboard", () => {
    const panel = dashboards["system.json"].panels.find(
      (each: { title: string }) => each.title === "Network flow and signal quality",
    );
    expect(panel.targets.map((target: { topic: string }) => target.topic)).toEqual([
      "vvcu/dashboard/twins/+",
    ]);
    const read = panel.transformations.find((each: { id: string }) => each.id === "filterFieldsByName");
    expect(read.options.include.names).toEqual(
      expect.arrayContaining(["id", "throughputBps", "rssiDbm", "rsrpDbm", "rsrqDb", "sinrDb"]),
    );
    const units = Object.fromEntries(
      panel.fieldConfig.overrides.map(
        (override: { matcher: { options: string }; properties: { value: string }[] }) => [
          override.matcher.options,
          override.properties[0]?.value,
        ],
      ),
    );
    expect(units).toEqual({ Throughput: "bps", RSSI: "dBm", RSRP: "dBm", RSRQ: "dB", SINR: "dB" });
    const renamed = panel.transformations.find((each: { id: string }) => each.id === "organize").options
      .renameByName;
    for (const header of Object.keys(units)) expect(Object.values(renamed)).toContain(header);
  });

  it("give valid PromQL (promtool checks every expression as a recording rule)", async () => {
    const expressions = Object.values(dashboards).flatMap(prometheusExpressions);
    expect(expressions.length).toBeGreaterThan(5);
    for (const expr of expressions) expect(metricsIn(expr).length).toBeGreaterThan(0);
    const rules = {
      groups: [
        {
          name: "dashboards",
          rules: expressions.map((expr, index) => ({
            record: `vvcu:dashboard_${index}`,
            expr: expr.replaceAll("$twin", "1001"),
          })),
        },
      ],
    };
    const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-promql-"));
    try {
      const file = path.join(dir, "rules.yml");
      await writeFile(file, stringify(rules));
      const check = promtool(["check", "rules", file]);
      expect(check.status, check.output).toBe(0);
      await writeFile(
        file,
        stringify({
          groups: [{ name: "bad", rules: [{ record: "x:y", expr: "sum by (mec (vvcu_twins)" }] }],
        }),
      );
      expect(promtool(["check", "rules", file]).status).not.toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("subscribe the Twin dashboard to the twin chosen by its variable", () => {
    const twin = dashboards["twin.json"];
    expect(twin.templating.list.map((variable: { name: string }) => variable.name)).toEqual(["twin"]);
    const topics = twin.panels.flatMap((panel: { targets?: { topic?: string }[] }) =>
      (panel.targets ?? []).flatMap((target) => (target.topic ? [target.topic] : [])),
    );
    expect(topics.length).toBeGreaterThan(5);
    for (const topic of topics) expect(topic).toContain("$twin");
    expect(topicMatches("vvcu/dashboard/twins/+", "vvcu/dashboard/twins/7/objects")).toBe(false);
  });
});

describe("the Twin dashboard's history", () => {
  const twin = dashboards["twin.json"];
  const panel = (title: string) =>
    twin.panels.find((each: { title: string }) => each.title.startsWith(title));

  it("fills the speed and the trajectory from GET /api/v1/twins/{id}/history over the time range, then live", () => {
    const speed = panel("Speed (history, then live)");
    expect(speed.targets.map((target: { refId: string }) => target.refId)).toEqual(["A", "H"]);
    const history = speed.targets[1];
    expect(history).toMatchObject({
      datasource: { type: "yesoreyeram-infinity-datasource", uid: "vvcu-api" },
      url: "/api/v1/twins/$twin/history",
      root_selector: "samples",
      computed_columns: [{ selector: "speed * 3.6", text: "speedKmh", type: "number" }],
    });
    expect(history.url_options.params).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
      { key: "since", value: "${__from:date:iso}" },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
      { key: "until", value: "${__to:date:iso}" },
      { key: "fields", value: "speed" },
    ]);
    const map = panel("Position and perceived objects");
    const trajectory = map.options.layers.find(
      (layer: { name: string }) => layer.name === "Trajectory (history)",
    );
    expect(trajectory).toMatchObject({ type: "route", filterData: { options: "H" } });
    expect(map.targets.find((target: { refId: string }) => target.refId === "H").columns).toEqual([
      { selector: "time", text: "time", type: "timestamp" },
      { selector: "position.lat", text: "lat", type: "number" },
      { selector: "position.lon", text: "lon", type: "number" },
    ]);
  });

  it("catches a history query the API does not answer", () => {
    type Target = {
      url: string;
      columns: { selector: string }[];
      url_options: { params: { key: string }[] };
    };
    const problems = (mutate: (target: Target) => void) => {
      const copy = structuredClone(twin);
      const target = copy.panels
        .find((each: { title: string }) => each.title === "Speed (history, then live)")
        .targets.find((each: { refId: string }) => each.refId === "H");
      mutate(target);
      return dashboardProblems(copy, published);
    };
    expect(problems(() => {})).toEqual([]);
    expect(
      problems((target) => {
        target.url = "/api/v1/twins/$twin/histories";
      }),
    ).toEqual([
      'vvcu-twin panel "Speed (history, then live)": GET /api/v1/twins/$twin/histories is not in the manager API',
    ]);
    expect(
      problems((target) => {
        target.columns[1] = { selector: "velocity" };
      }),
    ).toEqual([
      'vvcu-twin panel "Speed (history, then live)": GET /api/v1/twins/$twin/history rows have no velocity',
    ]);
    expect(
      problems((target) => {
        (target as { url_options: { params: { key: string }[] } }).url_options.params[0] = {
          key: "from",
        } as never;
      }),
    ).toEqual([
      'vvcu-twin panel "Speed (history, then live)": GET /api/v1/twins/$twin/history has no query parameter from',
    ]);
  });
});

describe("grafana provisioning and the compose stack", () => {
  const datasources = parse(
    readFileSync(path.join(GRAFANA, "provisioning", "datasources", "vvcu.yaml"), "utf8"),
  );
  const providers = parse(
    readFileSync(path.join(GRAFANA, "provisioning", "dashboards", "vvcu.yaml"), "utf8"),
  );
  const compose = parse(readFileSync(path.join(GRAFANA, "compose.yaml"), "utf8"));

  it("provisions every data source the dashboards use, by uid and type", () => {
    const provisioned = new Set(
      datasources.datasources.map((source: { uid: string; type: string }) => `${source.type}/${source.uid}`),
    );
    const used = new Set<string>();
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === "object") {
        const record = value as Record<string, unknown>;
        const source = record.datasource as { type?: string; uid?: string } | undefined;
        if (source?.uid) used.add(`${source.type}/${source.uid}`);
        Object.values(record).forEach(visit);
      }
    };
    Object.values(dashboards).forEach(visit);
    expect([...used].sort()).toEqual([
      "grafana-mqtt-datasource/vvcu-mqtt",
      "prometheus/vvcu-prometheus",
      "yesoreyeram-infinity-datasource/vvcu-api",
    ]);
    for (const source of used) expect(provisioned.has(source), source).toBe(true);
  });

  it("runs Grafana with the MQTT plugin, its provisioning and the dashboards where the provider reads them", () => {
    const grafana = compose.services.grafana;
    expect(grafana.environment.GF_INSTALL_PLUGINS.split(",")).toEqual([
      "grafana-mqtt-datasource",
      "yesoreyeram-infinity-datasource",
    ]);
    const mounts = new Map<string, string>(
      grafana.volumes.map((volume: string) => {
        const [source, target] = volume.split(":") as [string, string];
        return [target, source];
      }),
    );
    expect(mounts.get(providers.providers[0].options.path)).toBe("./dashboards");
    expect(mounts.get("/etc/grafana/provisioning")).toBe("./provisioning");
    const referenced = JSON.stringify(datasources).match(/\$\{([A-Z_]+)\}/g) ?? [];
    for (const variable of referenced) expect(grafana.environment).toHaveProperty(variable.slice(2, -1));
    for (const name of ["mosquitto", "prometheus"]) {
      for (const volume of compose.services[name].volumes as string[]) {
        expect(existsSync(path.join(GRAFANA, volume.split(":")[0] as string)), volume).toBe(true);
      }
    }
  });

  it("has a Prometheus configuration promtool accepts, scraping the manager API port", () => {
    const check = promtool(["check", "config", path.join(GRAFANA, "prometheus.yml")]);
    expect(check.status, check.output).toBe(0);
    const config = parse(readFileSync(path.join(GRAFANA, "prometheus.yml"), "utf8"));
    const apiPort = ConfigSchema.shape.VVCU_API_PORT.parse(undefined);
    expect(config.scrape_configs[0].static_configs[0].targets).toEqual([`host.docker.internal:${apiPort}`]);
  });
});
