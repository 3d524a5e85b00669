/** The Twin dashboard: one twin, chosen by the `twin` variable (its station id). */
import { BigValueColorMode, BigValueTextMode } from "@grafana/grafana-foundation-sdk/common";
import {
  type Dashboard,
  DashboardBuilder,
  MappingType,
  RowBuilder,
  TextBoxVariableBuilder,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as GeomapPanelBuilder } from "@grafana/grafana-foundation-sdk/geomap";
import { PanelBuilder as StatPanelBuilder } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanelBuilder } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import {
  apiQuery,
  lastValue,
  MQTT_DATASOURCE,
  mapView,
  markersLayer,
  mqttQuery,
  PROMETHEUS_DATASOURCE,
  prometheusQuery,
  readFields,
} from "./common.ts";

const TWIN = "$twin";
/** The dashboard's time range, as the history call's since and until. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, expanded by Grafana
const RANGE = { since: "${__from:date:iso}", until: "${__to:date:iso}" };

/** The twin's history (GET /api/v1/twins/{id}/history): what a panel shows of the time before it opened. */
function historyQuery(
  refId: string,
  fields: string,
  columns: Parameters<typeof apiQuery>[4],
  computed: Parameters<typeof apiQuery>[5] = [],
) {
  return apiQuery(
    refId,
    `/api/v1/twins/${TWIN}/history`,
    { ...RANGE, fields },
    "samples",
    [{ selector: "time", text: "time", type: "timestamp" }, ...columns],
    computed,
  );
}
const ALL_FIELDS = "/.*/";

function twinStat(title: string, topic: string, fields: string[], unit = "none") {
  return new StatPanelBuilder()
    .title(title)
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", topic))
    .withTransformation(readFields(fields))
    .reduceOptions(lastValue(ALL_FIELDS))
    .textMode(BigValueTextMode.ValueAndName)
    .unit(unit)
    .height(5)
    .span(6);
}

function statusStat() {
  return twinStat("Status", dashboardTopics.twin(TWIN), ["status"])
    .colorMode(BigValueColorMode.Background)
    .mappings([
      {
        type: MappingType.ValueToText,
        options: {
          stable: { text: "stable", color: "green", index: 0 },
          migrating: { text: "migrating", color: "orange", index: 1 },
        },
      },
    ]);
}

function positionMap() {
  return new GeomapPanelBuilder()
    .title("Position and perceived objects")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.twin(TWIN)))
    .withTarget(mqttQuery("B", dashboardTopics.twinObjects(TWIN)))
    .withTarget(
      historyQuery("H", "position", [
        { selector: "position.lat", text: "lat", type: "number" },
        { selector: "position.lon", text: "lon", type: "number" },
      ]),
    )
    .withTransformation(readFields(["id", "lat", "lon", "speedKmh", "heading"]))
    .view(mapView(14))
    .layers([
      markersLayer("Trajectory (history)", "H", "purple", 3, "route"),
      markersLayer("Twin", "A", "blue", 10),
      markersLayer("Perceived objects", "B", "orange", 5),
    ])
    .height(12)
    .span(12);
}

function lastMigrationTable() {
  return new TablePanelBuilder()
    .title("Last migration")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.twinMigration(TWIN)))
    .withTransformation(
      readFields(["migrationId", "from", "to", "trigger", "status", "step", "driver", "error"]),
    )
    .height(5)
    .span(12);
}

function migrationHistory() {
  return new TimeseriesPanelBuilder()
    .title("Time until ready / done of the last migration (history)")
    .datasource(PROMETHEUS_DATASOURCE)
    .withTarget(
      prometheusQuery("A", 'vvcu_twin_last_migration_time_until_ready_seconds{twin="$twin"}', "until ready"),
    )
    .withTarget(
      prometheusQuery("B", 'vvcu_twin_last_migration_time_until_done_seconds{twin="$twin"}', "until done"),
    )
    .unit("s")
    .height(8)
    .span(24);
}

function speed() {
  return new TimeseriesPanelBuilder()
    .title("Speed (history, then live)")
    .datasource(MQTT_DATASOURCE)
    .withTarget(mqttQuery("A", dashboardTopics.twin(TWIN)))
    .withTarget(
      historyQuery(
        "H",
        "speed",
        [{ selector: "speed", text: "speed", type: "number" }],
        [{ selector: "speed * 3.6", text: "speedKmh", type: "number" }],
      ),
    )
    .withTransformation(readFields(["speedKmh"]))
    .unit("velocitykmh")
    .height(12)
    .span(12);
}

export function twinDashboard(): Dashboard {
  return new DashboardBuilder("vvcu: Twin")
    .uid("vvcu-twin")
    .tags(["vvcu"])
    .description("One twin: where it is, where it lives, its neighbours and its migrations.")
    .refresh("5s")
    .time({ from: "now-1h", to: "now" })
    .readonly()
    .withVariable(
      new TextBoxVariableBuilder("twin")
        .label("Twin (station id)")
        .description("Station id of the twin, as in GET /api/v1/twins"),
    )
    .withRow(new RowBuilder("Twin $twin"))
    .withPanel(twinStat("Station", dashboardTopics.twin(TWIN), ["id", "stationType"]))
    .withPanel(twinStat("MEC", dashboardTopics.twin(TWIN), ["mec"]))
    .withPanel(statusStat())
    .withPanel(twinStat("Liveness", dashboardTopics.twin(TWIN), ["liveness", "lastSeen"]))
    .withPanel(twinStat("Migrations", dashboardTopics.twinMigration(TWIN), ["migrations"]))
    .withPanel(twinStat("Neighbours", dashboardTopics.twin(TWIN), ["neighbours"]))
    .withPanel(twinStat("Speed", dashboardTopics.twin(TWIN), ["speedKmh"], "velocitykmh"))
    .withPanel(twinStat("Perceived objects", dashboardTopics.twin(TWIN), ["objects"]))
    .withPanel(positionMap())
    .withPanel(speed())
    .withRow(new RowBuilder("Migrations"))
    .withPanel(
      twinStat("Last time until ready", dashboardTopics.twinMigration(TWIN), ["timeUntilReadyMs"], "ms"),
    )
    .withPanel(
      twinStat("Last time until done", dashboardTopics.twinMigration(TWIN), ["timeUntilDoneMs"], "ms"),
    )
    .withPanel(lastMigrationTable())
    .withPanel(migrationHistory())
    .build();
}
