/**
 * The topology: which MECs exist and which area (GeoJSON zone) each one covers, read from YAML
 * (VVCU_TOPOLOGY, or the bundled Aveiro file). A bad file gets one Error naming the file, the
 * line, the path inside it (e.g. `mecs[1].zone.coordinates[0][3]`) and what is wrong.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Document, isNode, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { MultiPolygon, Polygon } from "./geo/types.ts";
import { ZoneIndex } from "./geo/zoneIndex.ts";

export const DEFAULT_TOPOLOGY_PATH = fileURLToPath(new URL("./topology/aveiro.yaml", import.meta.url));

export const DRIVERS = ["local", "kubernetes", "osm"] as const;
export type DriverName = (typeof DRIVERS)[number];

const PositionSchema = z
  .array(z.number({ error: "a coordinate must be a number" }))
  .min(2, { error: "a position is [longitude, latitude]" })
  .max(3, { error: "a position is [longitude, latitude] or [longitude, latitude, altitude]" })
  .superRefine((position, context) => {
    const [lon, lat] = position as [number, number];
    if (lon < -180 || lon > 180) {
      context.addIssue({
        code: "custom",
        message: `longitude ${lon} is outside -180..180 (positions are [lon, lat])`,
      });
    }
    if (lat < -90 || lat > 90) {
      context.addIssue({
        code: "custom",
        message: `latitude ${lat} is outside -90..90 (positions are [lon, lat])`,
      });
    }
  });

const RingSchema = z
  .array(PositionSchema)
  .min(4, { error: "a ring needs at least 4 positions (a triangle plus the closing point)" })
  .superRefine((ring, context) => {
    const first = ring[0] ?? [];
    const last = ring[ring.length - 1] ?? [];
    if (first[0] !== last[0] || first[1] !== last[1]) {
      context.addIssue({
        code: "custom",
        message: `the ring is not closed: its last position ${JSON.stringify(last)} must equal its first ${JSON.stringify(first)}`,
      });
    }
  });

const PolygonRingsSchema = z.array(RingSchema).min(1, { error: "a polygon needs its outer ring" });

const PolygonSchema = z.object({ type: z.literal("Polygon"), coordinates: PolygonRingsSchema });
const MultiPolygonSchema = z.object({
  type: z.literal("MultiPolygon"),
  coordinates: z.array(PolygonRingsSchema).min(1, { error: "a MultiPolygon needs at least one polygon" }),
});

const ZoneSchema = z.discriminatedUnion("type", [PolygonSchema, MultiPolygonSchema], {
  error: (issue) =>
    issue.code === "invalid_union"
      ? 'zone.type must be "Polygon" or "MultiPolygon" (a GeoJSON geometry)'
      : "the zone must be a GeoJSON Polygon or MultiPolygon",
});

const DriverSchema = z.enum(DRIVERS, { error: `driver must be one of ${DRIVERS.join(", ")}` });
const name = (what: string) =>
  z.string({ error: `${what} must be a text` }).min(1, { error: `${what} is empty` });

/** What a MEC's `twinUrl` may name; the drivers fill them in per twin CNF. */
export const TWIN_URL_PLACEHOLDERS = ["name", "namespace", "twin", "mec"] as const;

const TwinUrlSchema = name("twinUrl").superRefine((template, context) => {
  const unknown = [...template.matchAll(/\{(\w*)\}/g)]
    .map((match) => match[1] ?? "")
    .filter((key) => !(TWIN_URL_PLACEHOLDERS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    context.addIssue({
      code: "custom",
      message: `twinUrl names unknown placeholder(s) ${unknown.map((key) => `{${key}}`).join(", ")}; known: ${TWIN_URL_PLACEHOLDERS.map((key) => `{${key}}`).join(", ")}`,
    });
    return;
  }
  const filled = template.replace(/\{\w+\}/g, "x");
  if (!URL.canParse(filled) || !/^https?:$/.test(new URL(filled).protocol)) {
    context.addIssue({ code: "custom", message: `twinUrl must be an http(s) URL, got "${template}"` });
  }
});

export const MecSchema = z.strictObject({
  id: name("id"),
  name: name("name").optional(),
  zone: ZoneSchema,
  driver: DriverSchema.optional(),
  kubernetes: z
    .strictObject({
      /** Kubeconfig context of the MEC's cluster; none: the cluster vvcu itself runs in. */
      context: name("kubernetes.context").optional(),
      namespace: name("kubernetes.namespace").optional(),
    })
    .optional(),
  osm: z.strictObject({ vimAccount: name("osm.vimAccount") }).optional(),
  /**
   * Where this MEC's twin CNFs are reached from the other MECs (the target's hydration, the
   * migration function's status calls): e.g. an ingress, `https://mec-a.example.org/{name}`.
   * Needed when the MECs are separate clusters; default: the Service's cluster DNS name.
   */
  twinUrl: TwinUrlSchema.optional(),
});

export const TopologySchema = z
  .strictObject({
    defaults: z.strictObject({ driver: DriverSchema.default("local") }).default({ driver: "local" }),
    mecs: z.array(MecSchema).min(1, { error: "at least one MEC is needed" }),
  })
  .superRefine((topology, context) => {
    const firstIndexOf = new Map<string, number>();
    topology.mecs.forEach((mec, index) => {
      const first = firstIndexOf.get(mec.id);
      if (first !== undefined) {
        context.addIssue({
          code: "custom",
          path: ["mecs", index, "id"],
          message: `id ${JSON.stringify(mec.id)} is already used by mecs[${first}]; ids must be unique`,
        });
      } else firstIndexOf.set(mec.id, index);
      const driver = mec.driver ?? topology.defaults.driver;
      if (driver === "kubernetes" && mec.kubernetes === undefined) {
        context.addIssue({
          code: "custom",
          path: ["mecs", index],
          message:
            "uses the kubernetes driver but has no kubernetes: {context, namespace} settings (an empty {} means this cluster)",
        });
      }
      if (driver === "osm" && mec.osm === undefined) {
        context.addIssue({
          code: "custom",
          path: ["mecs", index],
          message: "uses the osm driver but has no osm: {vimAccount} settings",
        });
      }
    });
  });

export type Mec = Omit<z.infer<typeof MecSchema>, "zone"> & { zone: Polygon | MultiPolygon };
export interface Topology {
  mecs: Mec[];
  defaults: { driver: DriverName };
}

/** `mecs[1].zone.coordinates[0][3]` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "(top level)" : text;
}

/** Parses and validates topology YAML; throws one Error listing every problem. */
export function parseTopology(text: string, fileName: string): Topology {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${fileName}:${line}:${col}: not valid YAML: ${error.message.split("\n")[0]}`;
    });
    throw new Error(`invalid topology ${fileName}:\n${problems.join("\n")}`);
  }
  const data: unknown = document.toJS();
  if (data === null || data === undefined) {
    throw new Error(`invalid topology ${fileName}: the file is empty; expected "mecs:" with a list of MECs`);
  }
  const result = TopologySchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path as PropertyKey[];
      const line = lineOf(document, lineCounter, path);
      const where = line === undefined ? fileName : `${fileName}:${line}`;
      return `${where}: ${formatPath(path)}: ${issueMessage(issue, data)}`;
    });
    throw new Error(`invalid topology ${fileName}:\n${problems.join("\n")}`);
  }
  return result.data as Topology;
}

/** The line of the deepest YAML node on the path (a missing key points at its parent). */
function lineOf(
  document: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  return undefined;
}

function issueMessage(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && !isPresent(data, issue.path)) return `is required (${issue.message})`;
  return issue.message;
}

/** Whether the parsed YAML has a value (even null) at the path. */
function isPresent(data: unknown, path: readonly PropertyKey[]): boolean {
  let value = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return false;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

/** Reads and validates a topology file (default: the bundled Aveiro topology). */
export function loadTopology(path: string = DEFAULT_TOPOLOGY_PATH): Topology {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read topology ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseTopology(text, path);
}

/** The driver that places twins in this MEC: its own, or the topology's default. */
export function driverOf(topology: Topology, mec: Mec): DriverName {
  return mec.driver ?? topology.defaults.driver;
}

const zoneIndexes = new WeakMap<Topology, ZoneIndex>();

/** The ZoneIndex of the MECs' zones (ids are MEC ids), built once per topology object. */
export function zoneIndexOf(topology: Topology): ZoneIndex {
  let index = zoneIndexes.get(topology);
  if (index === undefined) {
    index = new ZoneIndex(topology.mecs.map((mec) => ({ id: mec.id, geometry: mec.zone })));
    zoneIndexes.set(topology, index);
  }
  return index;
}
