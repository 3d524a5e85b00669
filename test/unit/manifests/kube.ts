/**
 * Loading and validating Kubernetes manifests for the tests: chart rendering (through helm-lite) and
 * validation of every object against the real schemas of kubernetes-models and @kubernetes-models/knative.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Broker, Trigger } from "@kubernetes-models/knative/eventing.knative.dev/v1";
import { Service as KnativeService } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { ContainerSource } from "@kubernetes-models/knative/sources.knative.dev/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Pod, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { parse, parseAllDocuments } from "yaml";
import { renderTemplate } from "./helm-lite.ts";

export const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form until validated against their schema
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  [key: string]: any;
}

export function parseManifests(text: string, origin: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((document, index) => {
    if (document.errors.length > 0)
      throw new Error(`${origin} document ${index + 1}: ${document.errors[0]?.message}`);
    const value = document.toJS() as KubeObject | null;
    return value === null ? [] : [value];
  });
}

export function loadManifestDir(dir: string): Map<string, KubeObject[]> {
  const files = new Map<string, KubeObject[]>();
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()) {
    const file = path.join(dir, name);
    files.set(name, parseManifests(readFileSync(file, "utf8"), file));
  }
  return files;
}

export interface ChartRender {
  values: Record<string, unknown>;
  objects: KubeObject[];
}

/** Renders a chart like `helm template NAME CHART -n NAMESPACE -f overrides` (shallow merge of top-level keys). */
export function renderChart(
  chartDir: string,
  overrides: Record<string, unknown> = {},
  release = { name: "vvcu", namespace: "default" },
): ChartRender {
  const chart = parse(readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as {
    name: string;
    version: string;
    appVersion?: string;
  };
  const values = {
    ...(parse(readFileSync(path.join(chartDir, "values.yaml"), "utf8")) as Record<string, unknown>),
    ...overrides,
  };
  const templatesDir = path.join(chartDir, "templates");
  const objects = readdirSync(templatesDir)
    .filter((file) => file.endsWith(".yaml") && !file.startsWith("_"))
    .sort()
    .flatMap((file) => {
      const source = readFileSync(path.join(templatesDir, file), "utf8");
      const rendered = renderTemplate(source, { chartDir, values, release, chart });
      return parseManifests(rendered, `${chartDir}/templates/${file}`);
    });
  return { values, objects };
}

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  "v1/ConfigMap": ConfigMap as Model,
  "v1/Secret": Secret as Model,
  "v1/Service": Service as Model,
  "v1/ServiceAccount": ServiceAccount as Model,
  "apps/v1/Deployment": Deployment as Model,
  "rbac.authorization.k8s.io/v1/Role": Role as Model,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding as Model,
  "eventing.knative.dev/v1/Broker": Broker as Model,
  "eventing.knative.dev/v1/Trigger": Trigger as Model,
  "serving.knative.dev/v1/Service": KnativeService as Model,
  "sources.knative.dev/v1/ContainerSource": ContainerSource as Model,
};

/**
 * Validates one object against its schema; throws naming the object. Knative's CRD schemas leave the
 * pod template open (x-kubernetes-preserve-unknown-fields), so the pod spec inside a Knative Service
 * or ContainerSource is validated again as a core PodSpec, which is what Knative checks it against.
 */
export function validateObject(object: KubeObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const model = MODELS[key];
  const name = `${key} ${object.metadata?.name}`;
  if (!model) throw new Error(`${name}: no schema known for this kind`);
  try {
    new model(object as never).validate();
    const podSpec = object.spec?.template?.spec;
    if (object.kind === "Service" && object.apiVersion.startsWith("serving.knative.dev") && podSpec) {
      new Pod({ metadata: { name: object.metadata.name }, spec: podSpec }).validate();
    }
    if (object.kind === "ContainerSource" && podSpec) {
      new Pod({ metadata: { name: object.metadata.name }, spec: podSpec }).validate();
    }
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
}
