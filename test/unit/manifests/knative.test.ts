import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../../functions/lib/config.ts";
import {
  CITS_EVENT_TYPES,
  type EventType,
  isEventType,
  MIGRATION_OUTCOME_TYPES,
} from "../../../functions/lib/events.ts";
import { TWIN_CNF_FUNCTION_TARGET } from "../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { loadTriggers } from "../../../functions/lib/runtime/triggers.ts";
import { loadTopology } from "../../../functions/lib/topology.ts";
import { type KubeObject, loadManifestDir, ROOT, validateObject } from "./kube.ts";
import { migrationDriversOf } from "./migrationDrivers.ts";

const knativeFiles = loadManifestDir(path.join(ROOT, "knative"));
const all = [...knativeFiles.values()].flat();
const ofKind = (kind: string, apiGroup: string) =>
  all.filter((object) => object.kind === kind && object.apiVersion.startsWith(apiGroup));
const knativeServices = ofKind("Service", "serving.knative.dev");
const FUNCTIONS = ["twin", "geofence", "migration", "proxy", "manager"];
/** Every FUNCTION_TARGET the image serves: the Knative Services' and the twin CNF's (charts/vvcu-twin). */
const FUNCTION_TARGETS = [...FUNCTIONS, TWIN_CNF_FUNCTION_TARGET];

/** What each function consumes: the flows of docs/architecture.md (one CAM, one migration). */
const CONSUMES: Record<string, EventType[]> = {
  twin: CITS_EVENT_TYPES,
  geofence: ["io.vvcu.twin.created", "io.vvcu.twin.updated"],
  migration: ["io.vvcu.migration.requested"],
  proxy: ["io.vvcu.twin.created", "io.vvcu.twin.updated", "io.vvcu.twin.expired", ...MIGRATION_OUTCOME_TYPES],
  manager: [],
};

/** Variables set by Knative or the platform rather than read through config.ts. */
const PLATFORM_ENV = new Set(["FUNCTION_TARGET", "KUBECONFIG"]);

function containersOf(object: KubeObject): { name: string; env?: { name: string; value?: string }[] }[] {
  return object.spec?.template?.spec?.containers ?? [];
}

function envOf(object: KubeObject): Record<string, string | undefined> {
  const container = containersOf(object)[0];
  return Object.fromEntries((container?.env ?? []).map((variable) => [variable.name, variable.value]));
}

describe("knative/ manifests", () => {
  it("give the migration function a topology and a driver it can build for every MEC", () => {
    const { topology, driverFor } = migrationDriversOf(all);
    expect(topology.mecs.map((mec) => mec.id)).toEqual(["mec-a", "mec-b"]);
    for (const mec of ["mec-a", "mec-b"]) {
      expect(driverFor(mec).name).toBe("kubernetes");
      // Its own namespace, where knative/rbac.yaml lets it manage Deployments and Services.
      expect(driverFor(mec).existing("42", mec).ref).toBe(`default/vvcu-twin-42-${mec}`);
    }
  });

  it("the topology it ships has the bundled topology's MECs and zones", () => {
    const { topology } = migrationDriversOf(all);
    const bundled = loadTopology();
    expect(topology.mecs.map(({ id, name, zone }) => ({ id, name, zone }))).toEqual(
      bundled.mecs.map(({ id, name, zone }) => ({ id, name, zone })),
    );
  });

  it("each object validates against the real Kubernetes and Knative schemas", () => {
    expect(all.length).toBeGreaterThan(20);
    for (const object of all) validateObject(object);
  });

  it("has exactly one Broker, named vvcu, and every Trigger and the ContainerSource use it", () => {
    const brokers = ofKind("Broker", "eventing.knative.dev");
    expect(brokers.map((broker) => broker.metadata.name)).toEqual(["vvcu"]);
    for (const trigger of ofKind("Trigger", "eventing.knative.dev")) expect(trigger.spec.broker).toBe("vvcu");
    const [source] = ofKind("ContainerSource", "sources.knative.dev");
    expect(source?.spec.sink.ref).toEqual({
      apiVersion: "eventing.knative.dev/v1",
      kind: "Broker",
      name: "vvcu",
    });
  });

  it("has a Knative Service per function, serving it by FUNCTION_TARGET", () => {
    expect(knativeServices.map((service) => service.metadata.name).sort()).toEqual(
      FUNCTIONS.map((name) => `vvcu-${name}`).sort(),
    );
    for (const service of knativeServices) {
      expect(envOf(service).FUNCTION_TARGET).toBe(service.metadata.name.replace(/^vvcu-/, ""));
    }
  });

  it("registers each FUNCTION_TARGET under that name in functions/NAME/index.ts", () => {
    const entryPoints = readdirSync(path.join(ROOT, "functions"), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && existsSync(path.join(ROOT, "functions", entry.name, "index.ts")),
      )
      .map((entry) => entry.name);
    expect(entryPoints.sort()).toEqual([...FUNCTION_TARGETS].sort());
    for (const name of FUNCTION_TARGETS) {
      const file = path.join(ROOT, "functions", name, "index.ts");
      expect(existsSync(file), `${file} is missing`).toBe(true);
      const source = readFileSync(file, "utf8");
      expect(source, `${file} registers no function named ${name}`).toMatch(
        new RegExp(`\\.(cloudEvent|http)\\(\\s*["'\`]${name}["'\`]`),
      );
    }
  });

  it("sizes every Service: autoscaling bounds and target, concurrency, probes, requests and limits", () => {
    for (const service of knativeServices) {
      const annotations = service.spec.template.metadata.annotations as Record<string, string>;
      const min = Number(annotations["autoscaling.knative.dev/min-scale"]);
      const max = Number(annotations["autoscaling.knative.dev/max-scale"]);
      const target = Number(annotations["autoscaling.knative.dev/target"]);
      expect(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= Math.max(min, 1)).toBe(
        true,
      );
      const concurrency = service.spec.template.spec.containerConcurrency as number;
      expect(target).toBeGreaterThan(0);
      expect(concurrency === 0 || target <= concurrency).toBe(true);
      const [container] = service.spec.template.spec.containers;
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
      expect(Object.keys(container.resources.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(container.resources.limits).sort()).toEqual(["cpu", "memory"]);
      expect(container.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it("keeps one migration orchestrator per MEC", () => {
    const migration = knativeServices.find((service) => service.metadata.name === "vvcu-migration");
    expect(migration?.spec.template.metadata.annotations["autoscaling.knative.dev/max-scale"]).toBe("1");
    expect(migration?.spec.template.spec.serviceAccountName).toBe("vvcu-migration");
  });

  it("keeps the migration journal on a writable volume, the root filesystem being read-only", () => {
    const migration = knativeServices.find(
      (service) => service.metadata.name === "vvcu-migration",
    ) as KubeObject;
    const spec = migration.spec.template.spec;
    const journal = envOf(migration).VVCU_MIGRATION_JOURNAL as string;
    expect(spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    const mount = (spec.containers[0].volumeMounts as { name: string; mountPath: string }[]).find((each) =>
      journal.startsWith(`${each.mountPath}/`),
    );
    expect(mount, `no volume holds ${journal}`).toBeDefined();
    const volume = (spec.volumes as { name: string; emptyDir?: object }[]).find(
      (each) => each.name === mount?.name,
    );
    expect(volume?.emptyDir).toBeDefined();
  });

  it("sets only environment variables that config.ts defines (or the platform sets)", () => {
    const known = new Set(Object.keys(ConfigSchema.shape));
    for (const object of [...knativeServices, ...ofKind("ContainerSource", "sources.knative.dev")]) {
      for (const name of Object.keys(envOf(object))) {
        expect(
          known.has(name) || PLATFORM_ENV.has(name),
          `${object.metadata.name} sets unknown ${name}`,
        ).toBe(true);
      }
    }
  });

  it("gives RBAC least privilege: only deployments and services, no wildcards, the bridge read-only", () => {
    const roles = ofKind("Role", "rbac.authorization.k8s.io");
    expect(ofKind("ClusterRole", "rbac.authorization.k8s.io")).toEqual([]);
    for (const role of roles) {
      for (const rule of role.rules as { resources: string[]; verbs: string[] }[]) {
        expect(rule.verbs).not.toContain("*");
        for (const resource of rule.resources) expect(["deployments", "services"]).toContain(resource);
      }
    }
    const bridge = roles.find((role) => role.metadata.name === "vvcu-bridge-informer");
    expect(bridge?.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
    ]);
    const migration = roles.find((role) => role.metadata.name === "vvcu-migration-driver");
    const migrationRules = (migration?.rules ?? []) as { resources: string[]; verbs: string[] }[];
    const verbsFor = (resource: string) =>
      migrationRules.find((rule) => rule.resources.includes(resource))?.verbs;
    expect(verbsFor("deployments")).toEqual(expect.arrayContaining(["get", "create", "patch", "delete"]));
    expect(verbsFor("services")).toEqual(expect.arrayContaining(["get", "create", "patch", "delete"]));
    expect(verbsFor("services")).not.toContain("list");
    for (const binding of ofKind("RoleBinding", "rbac.authorization.k8s.io")) {
      expect(roles.map((role) => role.metadata.name)).toContain(binding.roleRef.name);
      const accounts = all
        .filter((object) => object.kind === "ServiceAccount")
        .map((object) => object.metadata.name);
      expect(accounts).toContain(binding.subjects[0].name);
    }
  });
});

describe("knative/triggers.yaml routing", () => {
  const routes = loadTriggers();

  it("filters only on event types of the catalog, one type per Trigger, to a vvcu Service", () => {
    const serviceNames = knativeServices.map((service) => service.metadata.name);
    for (const route of routes) {
      expect(Object.keys(route.filter)).toEqual(["type"]);
      expect(isEventType(route.filter.type as string), `${route.name}: ${route.filter.type}`).toBe(true);
      expect(serviceNames).toContain(route.subscriber);
    }
    expect(new Set(routes.map((route) => route.name)).size).toBe(routes.length);
  });

  it("routes every type each function consumes to it, and nothing else", () => {
    for (const [name, types] of Object.entries(CONSUMES)) {
      const routed = routes
        .filter((route) => route.subscriber === `vvcu-${name}`)
        .map((route) => route.filter.type);
      expect(routed.sort(), name).toEqual([...types].sort());
    }
  });
});
