/**
 * The twin CNF's Kubernetes objects, built from the same values as charts/vvcu-twin.
 * The kubernetes driver applies exactly these; test/unit/charts renders the chart and
 * compares, so the chart OSM installs and the objects the driver applies cannot drift.
 */
import { z } from "zod";

/** Labels the bridge's informer selects twin CNFs by. */
export const TWIN_CNF_LABELS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  twin: "vvcu.io/twin",
  mec: "vvcu.io/mec",
} as const;
export const TWIN_CNF_NAME = "vvcu-twin";
export const TWIN_CNF_MIGRATION_ANNOTATION = "vvcu.io/migration";
/** functions-framework target of the process that hosts one station's twin. */
export const TWIN_CNF_FUNCTION_TARGET = "twin-cnf";
export const TWIN_CNF_PORT = 8080;
/** Environment variables the twin CNF process reads (beyond config.ts's MQTT_URL). */
export const TWIN_CNF_ENV = {
  twin: "VVCU_TWIN_ID",
  mec: "VVCU_MEC_ID",
  migration: "VVCU_MIGRATION_ID",
  hydrateFrom: "VVCU_HYDRATE_FROM",
  topics: "VVCU_TWIN_TOPICS",
} as const;

/** A station id usable in object names and label values (C-ITS station ids are numbers). */
export const StationIdSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/, "station id must be lower-case letters, digits and '-'");

/** A MEC id usable in object names and label values. */
export const MecIdSchema = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "MEC id must be lower-case letters, digits and '-'");

const ResourceListSchema = z.object({ cpu: z.string(), memory: z.string() });

/** charts/vvcu-twin/values.yaml, as a type (values.schema.json says the same for helm). */
export const TwinCnfValuesSchema = z.object({
  stationId: StationIdSchema,
  mecId: MecIdSchema,
  migrationId: z.string(),
  /** URL of the source twin's snapshot endpoint; empty: start with no state. */
  hydrateFrom: z.string(),
  mqttUrl: z.string().min(1),
  topics: z.array(z.string()),
  /** The MEC's twin store (REDIS_URL), shared with its twin function; empty: in memory. */
  redisUrl: z.string(),
  /** Where twin events go (K_SINK); empty: dropped. */
  sinkUrl: z.string(),
  image: z.object({
    repository: z.string().min(1),
    tag: z.string().min(1),
    pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]),
  }),
  resources: z.object({ requests: ResourceListSchema, limits: ResourceListSchema }),
});
export type TwinCnfValues = z.infer<typeof TwinCnfValuesSchema>;

/** The per-twin values; everything else comes from the chart defaults. */
export type TwinCnfInstanceValues = Pick<
  TwinCnfValues,
  "stationId" | "mecId" | "migrationId" | "hydrateFrom"
>;

/** The defaults of charts/vvcu-twin/values.yaml (the chart test asserts they are equal). */
export const TWIN_CNF_DEFAULTS: Omit<TwinCnfValues, keyof TwinCnfInstanceValues> = {
  mqttUrl: "mqtt://vvcu-mosquitto.default.svc.cluster.local:1883",
  topics: [],
  redisUrl: "redis://vvcu-redis.default.svc.cluster.local:6379",
  sinkUrl: "http://broker-ingress.knative-eventing.svc.cluster.local/default/vvcu",
  image: { repository: "ghcr.io/vvcu/vvcu", tag: "0.1.0", pullPolicy: "IfNotPresent" },
  resources: {
    requests: { cpu: "50m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
  },
};

/** Kubernetes object names (DNS labels, as Services need) are at most this long. */
const MAX_NAME_LENGTH = 63;

/**
 * Name of a twin's Deployment and Service (and helm release, OSM NS instance) at one MEC. The MEC
 * is part of it: during a migration the source and the target twin may share a namespace.
 */
export function twinCnfName(stationId: string, mecId: string): string {
  const name = `${TWIN_CNF_NAME}-${StationIdSchema.parse(stationId)}-${MecIdSchema.parse(mecId)}`;
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(
      `twin CNF name ${name} is longer than ${MAX_NAME_LENGTH} characters: use a shorter MEC id`,
    );
  }
  return name;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

/** The Deployment and Service of one twin, as the chart renders them for release `releaseName`. */
export function twinCnfObjects(
  values: TwinCnfValues,
  releaseName = twinCnfName(values.stationId, values.mecId),
) {
  const name = twinCnfName(values.stationId, values.mecId);
  // The MEC is in the selector: a Service must not pick the other MEC's twin of the same station.
  const selector = {
    [TWIN_CNF_LABELS.name]: TWIN_CNF_NAME,
    [TWIN_CNF_LABELS.twin]: values.stationId,
    [TWIN_CNF_LABELS.mec]: values.mecId,
  };
  const labels = { ...selector, [TWIN_CNF_LABELS.instance]: releaseName };
  const httpProbe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    failureThreshold,
  });
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels, annotations: { [TWIN_CNF_MIGRATION_ANNOTATION]: values.migrationId } },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: { [TWIN_CNF_MIGRATION_ANNOTATION]: values.migrationId } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "twin",
              image: `${values.image.repository}:${values.image.tag}`,
              imagePullPolicy: values.image.pullPolicy,
              ports: [{ name: "http", containerPort: TWIN_CNF_PORT }],
              env: [
                { name: "FUNCTION_TARGET", value: TWIN_CNF_FUNCTION_TARGET },
                { name: "PORT", value: String(TWIN_CNF_PORT) },
                { name: TWIN_CNF_ENV.twin, value: values.stationId },
                { name: TWIN_CNF_ENV.mec, value: values.mecId },
                { name: TWIN_CNF_ENV.migration, value: values.migrationId },
                { name: TWIN_CNF_ENV.hydrateFrom, value: values.hydrateFrom },
                { name: "MQTT_URL", value: values.mqttUrl },
                { name: TWIN_CNF_ENV.topics, value: JSON.stringify(values.topics) },
                { name: "REDIS_URL", value: values.redisUrl },
                { name: "K_SINK", value: values.sinkUrl },
              ],
              // Ready means hydrated and applying events: the migration's step 3.
              readinessProbe: httpProbe("/ready", 1, 3),
              livenessProbe: httpProbe("/health", 10, 3),
              resources: values.resources,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  } satisfies KubernetesObject;
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels },
    spec: {
      selector,
      ports: [{ name: "http", port: TWIN_CNF_PORT, targetPort: "http" }],
    },
  } satisfies KubernetesObject;
  return { deployment, service };
}
