import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Polygon } from "../../../functions/lib/geo/types.ts";
import {
  DEFAULT_TOPOLOGY_PATH,
  driverOf,
  formatPath,
  loadTopology,
  type Mec,
  parseTopology,
  zoneIndexOf,
} from "../../../functions/lib/topology.ts";

const SQUARE =
  "{type: Polygon, coordinates: [[[-8.70, 40.64], [-8.60, 40.64], [-8.60, 40.70], [-8.70, 40.70], [-8.70, 40.64]]]}";

/** The error message parseTopology throws for the text (fails the test when it does not throw). */
function errorOf(text: string, fileName = "bad.yaml"): string {
  try {
    parseTopology(text, fileName);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the topology to be rejected");
}

describe("the bundled Aveiro topology", () => {
  const topology = loadTopology();

  it("has two MECs, north and south, with the local driver by default", () => {
    expect(DEFAULT_TOPOLOGY_PATH.endsWith(path.join("functions", "lib", "topology", "aveiro.yaml"))).toBe(
      true,
    );
    expect(topology.mecs.map((mec) => [mec.id, mec.name])).toEqual([
      ["mec-a", "Aveiro North"],
      ["mec-b", "Aveiro South"],
    ]);
    expect(topology.defaults).toEqual({ driver: "local" });
    expect(topology.mecs.map((mec) => driverOf(topology, mec))).toEqual(["local", "local"]);
  });

  it("hands a vehicle driving south through the centre from mec-a to mec-b exactly once", () => {
    const index = zoneIndexOf(topology);
    const homes: string[] = [];
    for (let lat = 40.66; lat >= 40.62; lat -= 0.0001) {
      const found = index.containing(lat, -8.6532);
      expect(found).toHaveLength(1);
      if (homes.at(-1) !== found[0]) homes.push(found[0] as string);
    }
    expect(homes).toEqual(["mec-a", "mec-b"]);
  });

  it("puts every point of the shared border in exactly one zone", () => {
    const [northMec, southMec] = topology.mecs;
    const north = ((northMec as Mec).zone as Polygon).coordinates[0] as number[][];
    const border = north.slice(0, 7); // west to east, as the file lists it
    const south = ((southMec as Mec).zone as Polygon).coordinates[0] as number[][];
    expect(south.slice(2, 9)).toEqual([...border].reverse());
    const index = zoneIndexOf(topology);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: border.length - 2 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (i, t) => {
          const [ax, ay] = border[i] as [number, number];
          const [bx, by] = border[i + 1] as [number, number];
          const lon = ax + t * (bx - ax);
          if (lon >= -8.58) return; // the east end lies on both zones' eastern edge
          expect(index.containing(ay + t * (by - ay), lon)).toHaveLength(1);
        },
      ),
    );
  });

  it("builds the zone index once per topology", () => {
    expect(zoneIndexOf(topology)).toBe(zoneIndexOf(topology));
    expect(zoneIndexOf(topology).zoneOf("mec-b")?.geometry).toBe(topology.mecs[1]?.zone);
  });
});

describe("parseTopology", () => {
  it("reads MultiPolygons, altitudes, driver settings and defaults", () => {
    const topology = parseTopology(
      `defaults:
  driver: kubernetes
mecs:
  - id: edge-1
    kubernetes: {context: kind-mec-a, namespace: vvcu}
    zone: ${SQUARE}
  - id: edge-2
    driver: osm
    osm: {vimAccount: mec-b-vim}
    zone:
      type: MultiPolygon
      coordinates: [[[[0, 0, 12.5], [1, 0], [1, 1], [0, 0, 12.5]]], [[[2, 2], [3, 2], [3, 3], [2, 2]]]]
`,
      "two.yaml",
    );
    expect(topology.defaults.driver).toBe("kubernetes");
    expect(topology.mecs[0]).toMatchObject({
      id: "edge-1",
      kubernetes: { context: "kind-mec-a", namespace: "vvcu" },
    });
    expect(topology.mecs[1]).toMatchObject({ id: "edge-2", driver: "osm", osm: { vimAccount: "mec-b-vim" } });
    expect(topology.mecs.map((mec) => driverOf(topology, mec))).toEqual(["kubernetes", "osm"]);
    expect(zoneIndexOf(topology).containing(2.5, 2.9)).toEqual(["edge-2"]);
  });

  it("reads the address each MEC's twin CNFs are reached at from the other clusters", () => {
    const topology = parseTopology(
      mec(SQUARE, "    twinUrl: https://mec-a.example.org/twins/{name}\n"),
      "one.yaml",
    );
    expect(topology.mecs[0]?.twinUrl).toBe("https://mec-a.example.org/twins/{name}");
  });

  it("reads kubernetes settings without a context as this cluster", () => {
    const topology = parseTopology(mec(SQUARE, "    driver: kubernetes\n    kubernetes: {}\n"), "one.yaml");
    expect(topology.mecs[0]?.kubernetes).toEqual({});
  });

  it("formats paths the way a person reads them", () => {
    expect(formatPath(["mecs", 1, "zone", "coordinates", 0, 3])).toBe("mecs[1].zone.coordinates[0][3]");
    expect(formatPath([])).toBe("(top level)");
  });

  const mec = (zone: string, extra = "") => `mecs:\n  - id: m1\n${extra}    zone: ${zone}\n`;

  it.each([
    ["a YAML syntax error, with line and column", "mecs:\n  - id: [a\n", /bad\.yaml:3:1: not valid YAML: /],
    ["an empty file", "", /bad\.yaml: the file is empty; expected "mecs:"/],
    ["no mecs", "defaults: {driver: local}\n", /bad\.yaml:1: mecs: is required/],
    ["an empty mecs list", "mecs: []\n", /bad\.yaml:1: mecs: at least one MEC is needed/],
    [
      "a MEC without id",
      `mecs:\n  - name: x\n    zone: ${SQUARE}\n`,
      /bad\.yaml:2: mecs\[0\]\.id: is required/,
    ],
    [
      "an id that is not text",
      `mecs:\n  - id: [1]\n    zone: ${SQUARE}\n`,
      /mecs\[0\]\.id: id must be a text/,
    ],
    ["a missing zone", "mecs:\n  - id: m1\n", /mecs\[0\]\.zone: /],
    ["an unknown key", mec(SQUARE, "    zones: 1\n"), /bad\.yaml:2: mecs\[0\]: unknown key\(s\) "zones"/],
    ["an unknown top-level key", `${mec(SQUARE)}mec: []\n`, /\(top level\): unknown key\(s\) "mec"/],
    [
      "a zone that is not a polygon",
      mec("{type: Point, coordinates: [1, 2]}"),
      /mecs\[0\]\.zone\.type: zone\.type must be "Polygon" or "MultiPolygon"/,
    ],
    [
      "a ring that is not closed",
      mec("{type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]]}"),
      /mecs\[0\]\.zone\.coordinates\[0\]: the ring is not closed: its last position \[0,1\] must equal its first \[0,0\]/,
    ],
    [
      "a ring with too few positions",
      mec("{type: Polygon, coordinates: [[[0, 0], [1, 0], [0, 0]]]}"),
      /mecs\[0\]\.zone\.coordinates\[0\]: a ring needs at least 4 positions/,
    ],
    [
      "a latitude out of range",
      mec("{type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 91], [0, 0]]]}"),
      /bad\.yaml:3: mecs\[0\]\.zone\.coordinates\[0\]\[2\]: latitude 91 is outside -90\.\.90/,
    ],
    [
      "a longitude out of range (lat and lon swapped)",
      mec("{type: Polygon, coordinates: [[[40.6, -8.7], [40.6, 190], [40.7, -8.6], [40.6, -8.7]]]}"),
      /mecs\[0\]\.zone\.coordinates\[0\]\[1\]: longitude 40\.6 is outside|mecs\[0\]\.zone\.coordinates\[0\]\[1\]: latitude 190 is outside/,
    ],
    [
      "a position with one number",
      mec("{type: Polygon, coordinates: [[[0, 0], [1], [1, 1], [0, 0]]]}"),
      /mecs\[0\]\.zone\.coordinates\[0\]\[1\]: a position is \[longitude, latitude\]/,
    ],
    [
      "a coordinate that is not a number",
      mec("{type: Polygon, coordinates: [[[0, 0], [1, north], [1, 1], [0, 0]]]}"),
      /mecs\[0\]\.zone\.coordinates\[0\]\[1\]\[1\]: a coordinate must be a number/,
    ],
    [
      "an empty MultiPolygon",
      mec("{type: MultiPolygon, coordinates: []}"),
      /mecs\[0\]\.zone\.coordinates: a MultiPolygon needs at least one polygon/,
    ],
    [
      "an unknown driver",
      mec(SQUARE, "    driver: docker\n"),
      /mecs\[0\]\.driver: driver must be one of local, kubernetes, osm/,
    ],
    [
      "the kubernetes driver without its settings",
      mec(SQUARE, "    driver: kubernetes\n"),
      /bad\.yaml:2: mecs\[0\]: uses the kubernetes driver but has no kubernetes: \{context, namespace\} settings/,
    ],
    [
      "kubernetes settings with an empty context",
      mec(SQUARE, "    driver: kubernetes\n    kubernetes: {context: ''}\n"),
      /mecs\[0\]\.kubernetes\.context: kubernetes\.context is empty/,
    ],
    [
      "the osm driver, by default, without its settings",
      `defaults: {driver: osm}\n${mec(SQUARE)}`,
      /mecs\[0\]: uses the osm driver but has no osm: \{vimAccount\} settings/,
    ],
    [
      "a twinUrl with an unknown placeholder",
      mec(SQUARE, "    twinUrl: https://edge.example.org/{station}\n"),
      /mecs\[0\]\.twinUrl: twinUrl names unknown placeholder\(s\) \{station\}; known: \{name\}, \{namespace\}, \{twin\}, \{mec\}/,
    ],
    [
      "a twinUrl that is not http(s)",
      mec(SQUARE, "    twinUrl: ftp://edge.example.org/{name}\n"),
      /mecs\[0\]\.twinUrl: twinUrl must be an http\(s\) URL, got "ftp:\/\/edge\.example\.org\/\{name\}"/,
    ],
    [
      "a duplicate id",
      `mecs:\n  - id: m1\n    zone: ${SQUARE}\n  - id: m1\n    zone: ${SQUARE}\n`,
      /bad\.yaml:4: mecs\[1\]\.id: id "m1" is already used by mecs\[0\]; ids must be unique/,
    ],
  ])("rejects %s, naming the file, the path and the problem", (_, text, expected) => {
    const message = errorOf(text);
    expect(message).toMatch(/^invalid topology bad\.yaml:\n|^invalid topology bad\.yaml: /);
    expect(message).toMatch(expected);
  });

  it("lists every problem of a file in one error", () => {
    const message = errorOf(
      "mecs:\n  - id: m1\n    zone: {type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 95], [0, 0]]]}\n  - zone: {type: Circle}\n",
    );
    expect(message.split("\n")).toEqual([
      "invalid topology bad.yaml:",
      "bad.yaml:3: mecs[0].zone.coordinates[0][2]: latitude 95 is outside -90..90 (positions are [lon, lat])",
      "bad.yaml:4: mecs[1].id: is required (id must be a text)",
      'bad.yaml:4: mecs[1].zone.type: zone.type must be "Polygon" or "MultiPolygon" (a GeoJSON geometry)',
    ]);
  });
});

describe("loadTopology", () => {
  it("reads a file from disk", () => {
    const directory = mkdtempSync(path.join(tmpdir(), "vvcu-topology-"));
    const file = path.join(directory, "one.yaml");
    writeFileSync(file, `mecs:\n  - id: only\n    zone: ${SQUARE}\n`);
    expect(loadTopology(file).mecs.map((mec) => mec.id)).toEqual(["only"]);
  });

  it("says which file it cannot read", () => {
    expect(() => loadTopology("/nonexistent/vvcu/topology.yaml")).toThrow(
      /^cannot read topology \/nonexistent\/vvcu\/topology\.yaml: ENOENT/,
    );
  });

  it("names the file in validation errors", () => {
    const directory = mkdtempSync(path.join(tmpdir(), "vvcu-topology-"));
    const file = path.join(directory, "broken.yaml");
    writeFileSync(file, "mecs: []\n");
    expect(() => loadTopology(file)).toThrow(`${file}:1: mecs: at least one MEC is needed`);
  });
});
