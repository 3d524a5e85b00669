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

/** A markers layer placed by the `lat`/`lon` fields of the frames of one query. */
export function markersLayer(name: string, refId: string, color: string, size: number) {
  return new MapLayerOptionsBuilder()
    .type("markers")
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
