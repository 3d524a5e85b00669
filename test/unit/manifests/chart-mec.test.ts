import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubernetesDriver } from "../../../functions/lib/migration/drivers/kubernetes.ts";
import { parseTopology } from "../../../functions/lib/topology.ts";
import { renderTemplate } from "./helm-lite.ts";
import { type KubeObject, loadManifestDir, ROOT, renderChart, validateObject } from "./kube.ts";
import { migrationDriversOf } from "./migrationDrivers.ts";

const CHART = path.join(ROOT, "charts", "vvcu-mec");
const schema = JSON.parse(readFileSync(path.join(CHART, "values.schema.json"), "utf8")) as object;
const validateValues = new Ajv({ allErrors: true, strict: false }).compile(schema);
const defaults = parse(readFileSync(path.join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
const zoneB = {
  type: "Polygon",
  coordinates: [
    [
      [-8.6, 40.6],
      [-8.5, 40.6],
      [-8.5, 40.7],
      [-8.6, 40.6],
    ],
  ],
};

function byKindAndName(objects: KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((object) => [`${object.kind}/${object.metadata.name}`, object]));
}

/** The design choices knative/ explains and the chart must repeat: sizing, probes, rules, routing. */
function essentials(object: KubeObject): unknown {
  const podSpec = object.spec?.template?.spec;
  const container = podSpec?.containers?.[0];
  switch (object.kind) {
    case "Service":
      if (!object.apiVersion.startsWith("serving.knative.dev")) return object.spec;
      return {
        annotations: object.spec.template.metadata.annotations,
        containerConcurrency: podSpec.containerConcurrency,
        timeoutSeconds: podSpec.timeoutSeconds,
        serviceAccountName: podSpec.serviceAccountName,
        target: container.env.find((variable: { name: string }) => variable.name === "FUNCTION_TARGET"),
        probes: [container.readinessProbe, container.livenessProbe],
        resources: container.resources,
        securityContext: container.securityContext,
      };
    case "ContainerSource":
      return {
        sink: object.spec.sink,
        command: container.command,
        probes: [container.readinessProbe, container.livenessProbe],
        resources: container.resources,
        serviceAccountName: podSpec.serviceAccountName,
      };
    case "Role":
      return object.rules;
    case "RoleBinding":
      return { roleRef: object.roleRef, subjects: object.subjects };
    default:
      return object.spec ?? null;
  }
}

describe("charts/vvcu-mec", () => {
  it("has default values that satisfy values.schema.json and render a topology the functions load", () => {
    expect(validateValues(defaults), JSON.stringify(validateValues.errors)).toBe(true);
    const topology = renderChart(CHART).objects.find((object) => object.metadata.name === "vvcu-topology");
    expect(parseTopology(topology?.data["topology.yaml"], "topology.yaml").mecs).toHaveLength(1);
  });

  it("rejects values that would render a broken MEC", () => {
    const bad = [
      { ...defaults, mec: { id: "MEC A", zone: zoneB } },
      { ...defaults, mec: { id: "mec-a" } },
      { ...defaults, mec: { id: "mec-a", zone: { type: "Point", coordinates: [-8.6, 40.6] } } },
      {
        ...defaults,
        mqtt: { url: "http://broker:1883", dashboardUrl: "mqtt://x:1883", deadletterTopic: "d" },
      },
      { ...defaults, image: { repository: "vvcu", tag: "1", pullPolicy: "Sometimes" } },
      { ...defaults, replicas: 3 },
      { ...defaults, driver: "docker" },
      { ...defaults, mec: { ...(defaults.mec as object), kubernetes: { context: "" } } },
      { ...defaults, mec: { ...(defaults.mec as object), twinUrl: "ftp://mec-a.example.org/{name}" } },
    ];
    for (const values of bad) expect(validateValues(values), JSON.stringify(values)).toBe(false);
  });

  it("renders, for the default values, objects that all validate against the real schemas", () => {
    const { objects } = renderChart(CHART);
    const kinds = objects.map((object) => `${object.kind}/${object.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "Broker/vvcu",
        "ContainerSource/vvcu-bridge",
        "Deployment/vvcu-redis",
        "Service/vvcu-redis",
        "Deployment/vvcu-mosquitto",
        "ConfigMap/vvcu-topology",
        "Role/vvcu-migration-driver",
        "Service/vvcu-manager",
      ]),
    );
    for (const object of objects) validateObject(object);
  });

  it("repeats the knative/ design exactly: same objects, sizing, probes, RBAC and routing", () => {
    const rendered = byKindAndName(renderChart(CHART).objects);
    const reference = byKindAndName([...loadManifestDir(path.join(ROOT, "knative")).values()].flat());
    for (const [key, object] of reference) {
      const twin = rendered.get(key);
      expect(twin, `${key} is in knative/ but not in the chart`).toBeDefined();
      expect(essentials(twin as KubeObject), key).toEqual(essentials(object));
    }
  });

  it("with its default values, gives the migration function a driver that places twins here", () => {
    const { objects } = renderChart(CHART, {}, { name: "vvcu", namespace: "edge" });
    const { topology, driverFor } = migrationDriversOf(objects);
    expect(topology.mecs.map((mec) => mec.id)).toEqual(["mec-a"]);
    expect(driverFor("mec-a").name).toBe("kubernetes");
    // The release namespace, where templates/rbac.yaml lets the function manage twin CNFs.
    expect(driverFor("mec-a").existing("42", "mec-a").ref).toBe("edge/vvcu-twin-42-mec-a");
    // Its twin CNFs use this MEC's Redis and Broker, not another namespace's.
    const driver = driverFor("mec-a") as KubernetesDriver;
    const request = { migrationId: "m-1", twin: "42", mec: "mec-a", sourceMec: "mec-b", snapshot: undefined };
    expect(driver.values(request)).toMatchObject({
      redisUrl: "redis://vvcu-redis:6379",
      sinkUrl: "http://broker-ingress.knative-eventing.svc.cluster.local/edge/vvcu",
    });
  });

  it("with driver osm and its NBI settings, gives the migration function the OSM_* settings and the password Secret", () => {
    const values = {
      driver: "osm",
      mec: { ...(defaults.mec as object), osm: { vimAccount: "mec-a-vim" } },
      osm: {
        nbiUrl: "https://osm.example:9999",
        username: "vvcu",
        passwordSecret: "osm",
        project: "p",
        caSecret: "osm-ca",
      },
    };
    expect(validateValues({ ...defaults, ...values }), JSON.stringify(validateValues.errors)).toBe(true);
    const { objects } = renderChart(CHART, values, { name: "vvcu", namespace: "edge" });
    for (const object of objects) validateObject(object);
    const migration = objects.find(
      (object) => object.metadata.name === "vvcu-migration" && object.kind === "Service",
    );
    const podSpec = migration?.spec.template.spec;
    const env = podSpec.containers[0].env as { name: string; value: string }[];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "OSM_NBI_URL", value: "https://osm.example:9999" },
        { name: "OSM_USERNAME", value: "vvcu" },
        { name: "OSM_PASSWORD_FILE", value: "/etc/vvcu/osm/password" },
        { name: "OSM_PROJECT", value: "p" },
        { name: "OSM_CA_FILE", value: "/etc/vvcu/osm-ca/ca.crt" },
      ]),
    );
    expect(podSpec.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "osm-password", mountPath: "/etc/vvcu/osm", readOnly: true },
        { name: "osm-ca", mountPath: "/etc/vvcu/osm-ca", readOnly: true },
      ]),
    );
    expect(podSpec.volumes).toEqual(
      expect.arrayContaining([
        { name: "osm-password", secret: { secretName: "osm" } },
        { name: "osm-ca", secret: { secretName: "osm-ca" } },
      ]),
    );
    // Everything the osm driver needs is there; only the mounted Secret's file is not, here.
    expect(() => migrationDriversOf(objects)).toThrow(
      "cannot read OSM_PASSWORD_FILE from /etc/vvcu/osm/password",
    );
    const { objects: plain } = renderChart(CHART, {}, { name: "vvcu", namespace: "edge" });
    const plainEnv = plain.find((object) => object.metadata.name === "vvcu-migration")?.spec.template.spec
      .containers[0].env as { name: string }[];
    expect(plainEnv.map((variable) => variable.name)).not.toContain("OSM_NBI_URL");
  });

  it("builds the functions' topology from this MEC and its peers, with the release namespace in K_SINK", () => {
    const mec = { ...(defaults.mec as object), kubernetes: { context: "mec-a", namespace: "edge" } };
    const peer = { id: "mec-b", name: "Aveiro South", zone: zoneB, kubernetes: { context: "mec-b" } };
    const values = { driver: "kubernetes", mec, peers: [peer] };
    expect(validateValues({ ...defaults, ...values }), JSON.stringify(validateValues.errors)).toBe(true);
    const { objects } = renderChart(CHART, values, { name: "vvcu", namespace: "edge" });
    const topology = objects.find(
      (object) => object.kind === "ConfigMap" && object.metadata.name === "vvcu-topology",
    );
    const text = topology?.data["topology.yaml"] as string;
    expect(parse(text)).toEqual({ defaults: { driver: "kubernetes" }, mecs: [mec, peer] });
    // The functions' own loader accepts it (the kubernetes driver needs a context on every MEC).
    expect(parseTopology(text, "topology.yaml").mecs.map((each) => each.id)).toEqual(["mec-a", "mec-b"]);
    const withoutContext = renderChart(CHART, {
      ...values,
      peers: [{ id: "mec-b", zone: zoneB }],
    }).objects.find((object) => object.metadata.name === "vvcu-topology");
    expect(() => parseTopology(withoutContext?.data["topology.yaml"], "topology.yaml")).toThrow(/kubernetes/);
    const twin = objects.find((object) => object.metadata.name === "vvcu-twin");
    const env = twin?.spec.template.spec.containers[0].env as { name: string; value: string }[];
    expect(env).toContainEqual({
      name: "K_SINK",
      value: "http://broker-ingress.knative-eventing.svc.cluster.local/edge/vvcu",
    });
    expect(env).toContainEqual({ name: "VVCU_MEC_ID", value: "mec-a" });
    const binding = objects.find(
      (object) => object.metadata.name === "vvcu-migration-driver" && object.subjects,
    );
    expect(binding?.subjects[0].namespace).toBe("edge");
  });

  it("mounts the kubeconfig Secret only when given, and leaves Mosquitto out when disabled", () => {
    const { objects } = renderChart(CHART, {
      kubeconfigSecret: "vvcu-peers",
      mosquitto: { enabled: false, image: "eclipse-mosquitto:2.0.20" },
      mqtt: { url: "mqtts://broker.example:8883", dashboardUrl: "mqtt://dash:1883", deadletterTopic: "dl" },
    });
    for (const object of objects) validateObject(object);
    expect(objects.some((object) => object.metadata.name === "vvcu-mosquitto")).toBe(false);
    const migration = objects.find((object) => object.metadata.name === "vvcu-migration");
    const spec = migration?.spec.template.spec;
    expect(spec.containers[0].env).toContainEqual({ name: "KUBECONFIG", value: "/etc/vvcu/kube/config" });
    expect(spec.volumes).toContainEqual({ name: "kubeconfig", secret: { secretName: "vvcu-peers" } });
    const bridge = objects.find((object) => object.kind === "ContainerSource");
    expect(bridge?.spec.template.spec.containers[0].env).toContainEqual({
      name: "MQTT_URL",
      value: "mqtts://broker.example:8883",
    });
    const defaultMigration = renderChart(CHART).objects.find(
      (object) => object.metadata.name === "vvcu-migration",
    );
    expect(JSON.stringify(defaultMigration)).not.toContain("kubeconfig");
  });

  it("gives the manager the API token Secret only when given", () => {
    const manager = (values?: Record<string, unknown>) =>
      renderChart(CHART, values).objects.find((object) => object.metadata.name === "vvcu-manager");
    const guarded = manager({ apiTokenSecret: "vvcu-api-token" });
    if (guarded !== undefined) validateObject(guarded);
    const spec = guarded?.spec.template.spec;
    expect(spec.containers[0].env).toContainEqual({
      name: "VVCU_API_TOKEN_FILE",
      value: "/etc/vvcu/api/token",
    });
    expect(spec.containers[0].volumeMounts).toContainEqual({
      name: "api-token",
      mountPath: "/etc/vvcu/api",
      readOnly: true,
    });
    expect(spec.volumes).toContainEqual({ name: "api-token", secret: { secretName: "vvcu-api-token" } });
    expect(JSON.stringify(manager())).not.toContain("api-token");
  });
});

describe("schema validation catches broken manifests", () => {
  it("fails on a bad quantity inside a Knative Service's pod spec and on an unknown kind", () => {
    const service = renderChart(CHART).objects.find(
      (object) => object.metadata.name === "vvcu-twin",
    ) as KubeObject;
    const broken = structuredClone(service);
    broken.spec.template.spec.containers[0].resources.limits.cpu = "one core";
    expect(() => validateObject(broken)).toThrow(/vvcu-twin.*cpu/);
    expect(() => validateObject({ ...service, kind: "Servce" })).toThrow(/no schema known/);
  });
});

describe("helm-lite renders the Go template subset like helm", () => {
  const context = {
    chartDir: CHART,
    values: { a: { b: "x y" }, list: [{ n: 1 }, { n: 2 }], empty: [], on: true, off: false },
    release: { name: "r", namespace: "ns" },
    chart: { name: "c", version: "1.2.3" },
  };
  it("substitutes, quotes, trims, branches and loops", () => {
    expect(renderTemplate("v: {{ .Values.a.b | quote }} ns={{ .Release.Namespace }}", context)).toBe(
      'v: "x y" ns=ns',
    );
    expect(
      renderTemplate("a\n  {{- if .Values.on }}\n  yes\n  {{- else }}\n  no\n  {{- end }}", context),
    ).toBe("a\n  yes");
    expect(renderTemplate("{{- if .Values.off }}x{{ end }}{{ if .Values.empty }}y{{ end }}z", context)).toBe(
      "z",
    );
    expect(renderTemplate("{{ range .Values.list }}[{{ toJson . }}]{{ end }}", context)).toBe(
      '[{"n":1}][{"n":2}]',
    );
    expect(renderTemplate("k:{{ toYaml .Values.a | nindent 2 }}", context)).toBe("k:\n  b: x y");
  });
  it("refuses what it does not implement instead of rendering it wrong", () => {
    expect(() => renderTemplate('{{ include "x" . }}', context)).toThrow(/unsupported/);
    expect(() => renderTemplate("{{ .Values.a }}", context)).toThrow(/without toJson/);
    expect(() => renderTemplate("{{ if .Values.on }}x", context)).toThrow(/missing/);
  });
});
