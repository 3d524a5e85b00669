/**
 * Shared pieces of the vvcu dashboards: the two data sources (their uids match grafana/provisioning),
 * queries, and the transformations through which a panel names the fields it reads, so the test can
 * check every name against what the proxy publishes and every metric against metrics.ts.
 */
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  FrameGeometrySourceBuilder,
  FrameGeometrySourceMode,
  MapLayerOptionsBuilder,
  ReduceDataOptionsBuilder,
} from "@grafana/grafana-foundation-sdk/common";
import type { DataTransformerConfig } from "@grafana/grafana-foundation-sdk/dashboard";
import { MapViewConfigBuilder } from "@grafana/grafana-foundation-sdk/geomap";
import { DataqueryBuilder as PrometheusQueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";

export const MQTT_DATASOURCE = { type: "grafana-mqtt-datasource", uid: "vvcu-mqtt" } as const;
export const PROMETHEUS_DATASOURCE = { type: "prometheus", uid: "vvcu-prometheus" } as const;
/** The manager API through Grafana's Infinity plugin: what the live MQTT topics cannot give, the past. */
export const API_DATASOURCE = { type: "yesoreyeram-infinity-datasource", uid: "vvcu-api" } as const;

/** Where the bundled Aveiro topology lies, so the maps open on the MECs. */
export const AVEIRO = { lat: 40.64, lon: -8.65, zoom: 12 } as const;

interface MqttQuery extends cog.Dataquery {
  refId: string;
  topic: string;
  datasource: typeof MQTT_DATASOURCE;
}

/** A grafana-mqtt-datasource query: the panel subscribes to `topic` (MQTT filters allowed). */
export function mqttQuery(refId: string, topic: string): cog.Builder<cog.Dataquery> {
  return {
    build: (): MqttQuery => ({
      refId,
      topic,
      datasource: MQTT_DATASOURCE,
      _implementsDataqueryVariant() {},
    }),
  };
}

interface ApiColumn {
  selector: string;
  text: string;
  type: "timestamp" | "number" | "string";
}

interface ApiQuery extends cog.Dataquery {
  refId: string;
  datasource: typeof API_DATASOURCE;
  type: "json";
  source: "url";
  parser: "backend";
  format: "table";
  url: string;
  url_options: { method: "GET"; params: { key: string; value: string }[] };
  root_selector: string;
  columns: ApiColumn[];
  computed_columns: ApiColumn[];
}

/**
 * A GET of the manager API (path under the data source's URL) read as a table: the rows at
 * `root`, the `columns` by selector; `computed` columns are expressions over them.
 */
export function apiQuery(
  refId: string,
  path: string,
  params: Record<string, string>,
  root: string,
  columns: ApiColumn[],
  computed: ApiColumn[] = [],
): cog.Builder<cog.Dataquery> {
  return {
    build: (): ApiQuery => ({
      refId,
      datasource: API_DATASOURCE,
      type: "json",
      source: "url",
      parser: "backend",
      format: "table",
      url: path,
      url_options: { method: "GET", params: Object.entries(params).map(([key, value]) => ({ key, value })) },
      root_selector: root,
      columns,
      computed_columns: computed,
      _implementsDataqueryVariant() {},
    }),
  };
}

export function prometheusQuery(refId: string, expr: string, legend: string): PrometheusQueryBuilder {
  return new PrometheusQueryBuilder()
    .refId(refId)
    .datasource(PROMETHEUS_DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .range();
}

/** Keeps only these fields of the MQTT frames: the panel's declaration of what it reads. */
export function readFields(names: string[]): DataTransformerConfig {
  return { id: "filterFieldsByName", options: { include: { names } } };
}

/** Keeps the fields whose names match `pattern` (per-MEC and per-type figures of the system topic). */
export function readFieldsMatching(pattern: string): DataTransformerConfig {
  return { id: "filterFieldsByName", options: { include: { pattern } } };
}

/** Shows `twins_mec-a` as `mec-a`: the first group of `pattern` becomes the name. */
export function renameByPattern(pattern: string): DataTransformerConfig {
  return { id: "renameByRegex", options: { regex: pattern, renamePattern: "$1" } };
}

/** Merges the frames of a wildcard subscription (one per topic) into one table. */
export const MERGE_FRAMES: DataTransformerConfig = { id: "merge", options: {} };

/**
 * One row per `key` (e.g. the twin id) with the last reported value of each of `fields`: merged
 * per-twin frames hold every message received, and a table of stations wants each one's latest.
 * Grafana names the results `<field> (lastNotNull)`; `labels` (by field or key name) gives the table headers.
 */
export function latestPerKey(
  key: string,
  fields: string[],
  labels: Record<string, string> = {},
): DataTransformerConfig[] {
  const groupBy = {
    id: "groupBy",
    options: {
      fields: Object.fromEntries([
        [key, { operation: "groupby", aggregations: [] }],
        ...fields.map((field) => [field, { operation: "aggregate", aggregations: ["lastNotNull"] }]),
      ]),
    },
  };
  const resultNames: [string, string][] = [
    [key, key],
    ...fields.map((field): [string, string] => [field, `${field} (lastNotNull)`]),
  ];
  const renameByName = Object.fromEntries(
    resultNames.flatMap(([field, result]) => (labels[field] ? [[result, labels[field]]] : [])),
  );
  return [groupBy, { id: "organize", options: { renameByName } }];
}

export function lastValue(fields = "") {
  return new ReduceDataOptionsBuilder().values(false).calcs(["lastNotNull"]).fields(fields);
}

export function mapView(zoom: number = AVEIRO.zoom) {
  return new MapViewConfigBuilder().id("coords").lat(AVEIRO.lat).lon(AVEIRO.lon).zoom(zoom);
}

/** A markers layer placed by the `lat`/`lon` fields of the frames of one query; `route` joins them in order. */
export function markersLayer(name: string, refId: string, color: string, size: number, type = "markers") {
  return new MapLayerOptionsBuilder()
    .type(type)
    .name(name)
    .filterData({ id: "byRefId", options: refId })
    .location(
      new FrameGeometrySourceBuilder().mode(FrameGeometrySourceMode.Coords).latitude("lat").longitude("lon"),
    )
    .tooltip(true)
    .config({
      showLegend: true,
      style: {
        color: { fixed: color },
        size: { fixed: size },
        opacity: 0.8,
        symbol: { mode: "fixed", fixed: "img/icons/marker/circle.svg" },
      },
    });
}
