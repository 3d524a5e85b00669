import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  TWIN_CNF_DEFAULTS,
  type TwinCnfValues,
  TwinCnfValuesSchema,
  twinCnfName,
  twinCnfObjects,
} from "../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { type KubeObject, renderChart as renderWithHelmLite, validateObject } from "../manifests/kube.ts";

/** `helm template` of charts/vvcu-twin with these values (the shared helm-lite renderer). */
function renderChart(chartDir: string, values: TwinCnfValues, release: string): KubeObject[] {
  return renderWithHelmLite(chartDir, values, { name: release, namespace: "default" }).objects;
}

const chartDir = path.resolve(import.meta.dirname, "../../../charts/vvcu-twin");
const defaults = YAML.parse(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as TwinCnfValues;
const schema = JSON.parse(readFileSync(path.join(chartDir, "values.schema.json"), "utf8")) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

const migrated: TwinCnfValues = {
  ...defaults,
  stationId: "3402",
  mecId: "mec-b",
  migrationId: "m-7f3a",
  hydrateFrom: "http://vvcu-twin-3402-mec-a.vvcu.svc.cluster.local:8080/twins/3402/snapshot",
  topics: ["obu/inqueue/json/3402/#", "vanetza/out/cam"],
};

describe("charts/vvcu-twin values", () => {
  it("the default values satisfy values.schema.json and the driver's schema", () => {
    expect(validate(defaults), JSON.stringify(validate.errors)).toBe(true);
    expect(TwinCnfValuesSchema.parse(defaults)).toEqual(defaults);
  });

  it("the driver's defaults are the chart's defaults", () => {
    const { stationId: _s, mecId: _m, migrationId: _i, hydrateFrom: _h, ...chartDefaults } = defaults;
    expect(chartDefaults).toEqual(TWIN_CNF_DEFAULTS);
  });

  it.each([
    ["a station id with capitals", { stationId: "Car1" }],
    ["a station id with a slash", { stationId: "1/2" }],
    ["an unknown pull policy", { image: { ...defaults.image, pullPolicy: "Sometimes" } }],
    [
      "a memory size without a unit suffix grammar",
      { resources: { ...defaults.resources, limits: { cpu: "1", memory: "lots" } } },
    ],
    ["a hydrate URL that is not http", { hydrateFrom: "ftp://x/snapshot" }],
    ["a twin store that is not Redis", { redisUrl: "http://vvcu-redis:6379" }],
    ["an unknown value", { replicas: 2 }],
  ])("values.schema.json rejects %s", (_name, change) => {
    expect(validate({ ...defaults, ...change })).toBe(false);
  });

  it("rejects a missing station id", () => {
    const { stationId: _dropped, ...rest } = defaults;
    expect(validate(rest)).toBe(false);
    expect(validate.errors?.[0]?.params).toEqual({ missingProperty: "stationId" });
  });
});

describe("charts/vvcu-twin templates", () => {
  it("render the default values to a Deployment and a Service with the informer's labels", () => {
    const documents = renderChart(chartDir, defaults, "vvcu-twin-1-mec-a");
    expect(documents.map((document) => document.kind)).toEqual(["Deployment", "Service"]);
    for (const document of documents) {
      const metadata = document.metadata as { name: string; labels: Record<string, string> };
      expect(metadata.name).toBe("vvcu-twin-1-mec-a");
      expect(metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "vvcu-twin",
        "vvcu.io/twin": "1",
        "vvcu.io/mec": "mec-a",
      });
    }
  });

  it.each([
    ["the default values", defaults],
    ["a migrated twin's values", migrated],
  ])("render %s exactly as the kubernetes driver builds the objects", (_name, values) => {
    const release = twinCnfName(values.stationId, values.mecId);
    const [deployment, service] = renderChart(chartDir, values, release);
    const built = twinCnfObjects(values, release);
    expect(deployment).toEqual(built.deployment);
    expect(service).toEqual(built.service);
  });

  it("carry the twin's parameters into the container's environment and probes", () => {
    const [deployment] = renderChart(chartDir, migrated, "osm-generated-release");
    const container = (deployment as unknown as ReturnType<typeof twinCnfObjects>["deployment"]).spec.template
      .spec.containers[0];
    const env = Object.fromEntries(container?.env.map(({ name, value }) => [name, value]) ?? []);
    expect(env).toMatchObject({
      FUNCTION_TARGET: "twin-cnf",
      VVCU_TWIN_ID: "3402",
      VVCU_MEC_ID: "mec-b",
      VVCU_MIGRATION_ID: "m-7f3a",
      VVCU_HYDRATE_FROM: migrated.hydrateFrom,
      VVCU_TWIN_TOPICS: JSON.stringify(migrated.topics),
    });
    expect(container?.readinessProbe.httpGet.path).toBe("/ready");
    expect(container?.image).toBe("ghcr.io/vvcu/vvcu:0.1.0");
  });

  it("render objects that validate against the Kubernetes schemas", () => {
    const [deployment, service] = renderChart(chartDir, migrated, "vvcu-twin-3402");
    for (const object of [deployment, service])
      expect(() => validateObject(object as KubeObject)).not.toThrow();
  });
});
