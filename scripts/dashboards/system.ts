/** The System dashboard: every station and perceived object on a map, and the platform's figures. */
import { PanelBuilder as BarGaugePanelBuilder } from "@grafana/grafana-foundation-sdk/bargauge";
import { BigValueTextMode, VizOrientation } from "@grafana/grafana-foundation-sdk/common";
import { type Dashboard, DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GeomapPanelBuilder } from "@grafana/grafana-foundation-sdk/geomap";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { MESSAGE_TYPES } from "../../functions/lib/cits/types.ts";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import {
  lastValue,
  latestPerKey,
  MERGE_FRAMES,
  MQTT_DATASOURCE,
  mapView,
  markersLayer,
  mqttQuery,
  PROMETHEUS_DATASOURCE,
  prometheusQuery,
  readFields,
  readFieldsMatching,
  renameByPattern,
} from "./common.ts";

/** Every twin's own topic: a wildcard subscription gives one frame per station. */
const EVERY_TWIN = dashboardTopics.twin("+");

function liveMap() {
  return new GeomapPanelBuilder()
    .title("OBUs, RSUs and perceived objects")
    .description(
      "Live positions from the proxy's per-twin topics, and the objects the stations perceive (CPM).",
    )
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", EVERY_TWIN))
    .withTarget(mqttQuery("B", dashboardTopics.objectsAll))
    .withTransformation(readFields(["id", "stationType", "mec", "status", "speedKmh", "twin", "lat", "lon"]))
    .view(mapView())
    .layers([markersLayer("Stations", "A", "blue", 8), markersLayer("Perceived objects", "B", "orange", 5)])
    .height(14)
    .span(24);
}

function systemFigure(title: string, field: string, unit: string) {
  return new StatPanelBuilder()
    .title(title)
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.system))
    .withTransformation(readFields([field]))
    .reduceOptions(lastValue())
    .textMode(BigValueTextMode.Value)
    .unit(unit)
    .height(5)
    .span(6);
}

/** A bar per field of the system topic whose name matches `pattern`; its first group names the bar. */
function systemBreakdown(title: string, pattern: string, unit: string) {
  return new BarGaugePanelBuilder()
    .title(title)
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.system))
    .withTransformation(readFieldsMatching(pattern))
    .withTransformation(renameByPattern(pattern))
    .reduceOptions(lastValue())
    .orientation(VizOrientation.Horizontal)
    .unit(unit)
    .height(7)
    .span(8);
}

function mecsTable() {
  return new TablePanelBuilder()
    .title("MECs and their twins")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.mecs))
    .withTransformation(readFields(["mec", "twins", "averageSpeedKmh", "ids"]))
    .height(9)
    .span(8);
}

/** Per-twin field, its column header and its Grafana unit. */
const NETWORK_COLUMNS: [field: string, label: string, unit: string][] = [
  ["mec", "MEC", "string"],
  ["throughputBps", "Throughput", "bps"],
  ["rssiDbm", "RSSI", "dBm"],
  ["rsrpDbm", "RSRP", "dBm"],
  ["rsrqDb", "RSRQ", "dB"],
  ["sinrDb", "SINR", "dB"],
];

function networkTable() {
  const fields = NETWORK_COLUMNS.map(([field]) => field);
  const labels = Object.fromEntries(NETWORK_COLUMNS.map(([field, label]) => [field, label]));
  const panel = new TablePanelBuilder()
    .title("Network flow and signal quality")
    .description(
      "Each station's latest figures from its LOGS/network (flow) and LOGS/access (signal) reports; empty until it reports them.",
    )
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", EVERY_TWIN))
    .transformations([
      MERGE_FRAMES,
      readFields(["id", ...fields]),
      ...latestPerKey("id", fields, { id: "Station", ...labels }),
    ])
    .height(8)
    .span(24);
  for (const [, label, unit] of NETWORK_COLUMNS) {
    if (unit !== "string") panel.overrideByName(label, [{ id: "unit", value: unit }]);
  }
  return panel;
}

function migrationsTable() {
  return new TablePanelBuilder()
    .title("Migrations (live)")
    .description("Every migration event as it happens.")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.migrations))
    .withTransformation(MERGE_FRAMES)
    .withTransformation(
      readFields([
        "event",
        "twin",
        "from",
        "to",
        "trigger",
        "status",
        "timeUntilReadyMs",
        "timeUntilDoneMs",
        "error",
      ]),
    )
    .height(9)
    .span(16);
}

function history(title: string, unit: string, queries: [string, string][]) {
  const panel = new TimeseriesPanelBuilder()
    .title(title)
    .datasource(PROMETHEUS_DATASOURCE)
    .unit(unit)
    .height(8)
    .span(12);
  queries.forEach(([expr, legend], index) => {
    panel.withTarget(prometheusQuery(String.fromCharCode(65 + index), expr, legend));
  });
  return panel;
}

const quantile = (q: number, histogram: string, window: string) =>
  `histogram_quantile(${q}, sum by (le) (rate(${histogram}_bucket[${window}])))`;

export function systemDashboard(): Dashboard {
  return new DashboardBuilder("vvcu: System")
    .uid("vvcu-system")
    .tags(["vvcu"])
    .description(
      "Stations and perceived objects, twins per MEC, speeds, message rates, rejected input, migrations.",
    )
    .refresh("5s")
    .time({ from: "now-15m", to: "now" })
    .readonly()
    .withRow(new RowBuilder("Live (MQTT, from the proxy)"))
    .withPanel(liveMap())
    .withPanel(systemFigure("Twins", "twins", "none"))
    .withPanel(systemFigure("Migrating now", "twinsMigrating", "none"))
    .withPanel(systemFigure("Average speed", "averageSpeedKmh", "velocitykmh"))
    .withPanel(systemFigure("Perceived objects", "perceivedObjects", "none"))
    .withPanel(systemBreakdown("Twins per MEC", "^twins_(.+)$", "none"))
    .withPanel(systemBreakdown("Average speed per MEC", "^averageSpeedKmh_(.+)$", "velocitykmh"))
    .withPanel(systemBreakdown("Message rates (per second)", `^(${MESSAGE_TYPES.join("|")})PerS$`, "short"))
    .withPanel(mecsTable())
    .withPanel(migrationsTable())
    .withPanel(networkTable())
    .withRow(new RowBuilder("History (Prometheus)"))
    .withPanel(history("Twins per MEC", "none", [["sum by (mec) (vvcu_twins)", "{{mec}}"]]))
    .withPanel(
      // Every MEC's bridge may read the same broker (the embedded stack does), so each would count a
      // message received; only the MEC hosting the station forwards it, so forwarded counts it once.
      history("C-ITS messages received", "reqps", [
        ["sum by (type) (rate(vvcu_bridge_messages_forwarded_total[1m]))", "{{type}}"],
      ]).description(
        "Decoded messages per second, each counted once: by the bridge of the MEC hosting its station, which forwards it to the twin. Malformed input is under Rejected input.",
      ),
    )
    .withPanel(
      history("Rejected input", "reqps", [
        ["sum by (reason) (rate(vvcu_bridge_messages_rejected_total[5m]))", "{{reason}}"],
      ]),
    )
    .withPanel(
      history("Bridge delivery latency", "s", [
        [quantile(0.5, "vvcu_bridge_delivery_latency_seconds", "5m"), "p50"],
        [quantile(0.99, "vvcu_bridge_delivery_latency_seconds", "5m"), "p99"],
      ]),
    )
    .withPanel(
      history("Migrations", "short", [
        ["sum by (result) (increase(vvcu_migrations_total[5m]))", "{{result}}"],
      ]),
    )
    .withPanel(
      history("Migration time until ready / done (p90)", "s", [
        [quantile(0.9, "vvcu_migration_time_until_ready_seconds", "15m"), "until ready"],
        [quantile(0.9, "vvcu_migration_time_until_done_seconds", "15m"), "until done"],
      ]),
    )
    .build();
}
