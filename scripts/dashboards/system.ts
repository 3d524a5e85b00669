/** The System dashboard: every station and perceived object on a map, and the platform's figures. */
import { PanelBuilder as BarGaugePanelBuilder } from "@grafana/grafana-foundation-sdk/bargauge";
import { BigValueTextMode, VizOrientation } from "@grafana/grafana-foundation-sdk/common";
import { type Dashboard, DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GeomapPanelBuilder } from "@grafana/grafana-foundation-sdk/geomap";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import {
  expandObject,
  lastValue,
  MERGE_FRAMES,
  MQTT_DATASOURCE,
  mapView,
  markersLayer,
  mqttQuery,
  PROMETHEUS_DATASOURCE,
  prometheusQuery,
  readFields,
} from "./common.ts";

/** Every twin's own topic: a wildcard subscription gives one frame per station. */
const EVERY_TWIN = dashboardTopics.twin("+");

function liveMap() {
  return new GeomapPanelBuilder()
    .title("OBUs, RSUs and perceived objects")
    .description(
      "Live positions from the proxy's per-twin topics and the objects the stations perceive (CPM).",
    )
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", EVERY_TWIN))
    .withTarget(mqttQuery("B", dashboardTopics.objectsAll))
    .withTransformation(readFields(["id", "stationType", "mec", "status", "speedKmh", "lat", "lon"]))
    .view(mapView())
    .layers([markersLayer("Stations", "A", "blue", 8), markersLayer("Perceived objects", "B", "orange", 5)])
    .height(14)
    .span(16);
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
    .height(7)
    .span(4);
}

/** A bar per key of one of the system topic's objects (per MEC, per message type). */
function systemBreakdown(title: string, field: string, unit: string) {
  return new BarGaugePanelBuilder()
    .title(title)
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.system))
    .withTransformation(readFields([field]))
    .withTransformation(expandObject(field))
    .reduceOptions(lastValue())
    .orientation(VizOrientation.Horizontal)
    .unit(unit)
    .height(7)
    .span(8);
}

function networkTable() {
  return new TablePanelBuilder()
    .title("Network flow and signal quality")
    .description("From the stations' LOGS/network (flow) and LOGS/access (signal) messages.")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", EVERY_TWIN))
    .withTransformation(MERGE_FRAMES)
    .withTransformation(readFields(["id", "mec", "throughputBps", "rssiDbm", "rsrpDbm", "rsrqDb", "sinrDb"]))
    .height(9)
    .span(12);
}

function migrationsTable() {
  return new TablePanelBuilder()
    .title("Migrations (live)")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.migrations))
    .withTransformation(readFields(["twin", "from", "to", "status", "timeUntilReadyMs", "timeUntilDoneMs"]))
    .height(9)
    .span(12);
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

export function systemDashboard(): Dashboard {
  return new DashboardBuilder("vvcu: System")
    .uid("vvcu-system")
    .tags(["vvcu"])
    .description("Stations, twins per MEC, speeds, message rates, rejected input, network and migrations.")
    .refresh("5s")
    .time({ from: "now-15m", to: "now" })
    .readonly()
    .withRow(new RowBuilder("Live (MQTT, from the proxy)"))
    .withPanel(liveMap())
    .withPanel(systemFigure("Average speed", "averageSpeedKmh", "velocitykmh"))
    .withPanel(systemFigure("Perceived objects", "perceivedObjects", "none"))
    .withPanel(systemBreakdown("Twins per MEC", "twinsPerMec", "none"))
    .withPanel(systemBreakdown("Average speed per MEC", "averageSpeedKmhPerMec", "velocitykmh"))
    .withPanel(systemBreakdown("Message rates", "messageRates", "short"))
    .withPanel(networkTable())
    .withPanel(migrationsTable())
    .withRow(new RowBuilder("History (Prometheus)"))
    .withPanel(history("Twins per MEC", "none", [["sum by (mec) (vvcu_twins)", "{{mec}}"]]))
    .withPanel(
      history("C-ITS messages applied", "reqps", [
        ["sum by (type) (rate(vvcu_twin_events_applied_total[1m]))", "{{type}}"],
      ]),
    )
    .withPanel(
      history("Rejected input", "reqps", [
        ["sum by (reason) (rate(vvcu_bridge_messages_rejected_total[5m]))", "{{reason}}"],
      ]),
    )
    .withPanel(
      history("Bridge delivery latency", "s", [
        [
          "histogram_quantile(0.5, sum by (le) (rate(vvcu_bridge_delivery_latency_seconds_bucket[5m])))",
          "p50",
        ],
        [
          "histogram_quantile(0.99, sum by (le) (rate(vvcu_bridge_delivery_latency_seconds_bucket[5m])))",
          "p99",
        ],
      ]),
    )
    .withPanel(
      history("Migrations", "short", [
        ["sum by (result) (increase(vvcu_migrations_total[5m]))", "{{result}}"],
      ]),
    )
    .withPanel(
      history("Migration time until ready / done (p90)", "s", [
        [
          "histogram_quantile(0.9, sum by (le) (rate(vvcu_migration_time_until_ready_seconds_bucket[15m])))",
          "until ready",
        ],
        [
          "histogram_quantile(0.9, sum by (le) (rate(vvcu_migration_time_until_done_seconds_bucket[15m])))",
          "until done",
        ],
      ]),
    )
    .build();
}
