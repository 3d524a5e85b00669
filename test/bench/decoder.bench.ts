/**
 * `decoder`: full decoding (parse, validate, normalize) of a vanetza-nap CAM envelope on one
 * core, next to JSON.parse alone on the same bytes: the floor no decoder can beat.
 * Aim (issue 2): at least half of JSON.parse's rate. Also a vanetza-nap TS 103 324 CPM with a
 * sensor information container and 10 perceived objects (the corpus's real CPM, its objects
 * repeated at other offsets), against JSON.parse of the same bytes.
 */
import { readFileSync } from "node:fs";
import { decode } from "../../functions/lib/cits/decode.ts";
import { type Benchmark, SAMPLE_CAM_FIXTURE } from "./types.ts";

const fixture = SAMPLE_CAM_FIXTURE;
const CPM_FIXTURE = new URL("../fixtures/conformance/vanetza-nap/out_cpm.json", import.meta.url);
const CPM_OBJECTS = 10;

interface CpmObject {
  objectId: number;
  position: { xCoordinate: { value: number }; yCoordinate: { value: number } };
}

/** The real CPM with CPM_OBJECTS objects: its own, then copies of them 5 m further out each. */
function cpmWithObjects(): Buffer {
  const cpm = JSON.parse(readFileSync(CPM_FIXTURE, "utf8")) as {
    fields: { payload: { cpmContainers: { containerId: number; containerData: unknown }[] } };
  };
  const container = cpm.fields.payload.cpmContainers.find((entry) => entry.containerId === 5);
  const data = container?.containerData as {
    numberOfPerceivedObjects: number;
    perceivedObjects: CpmObject[];
  };
  const originals = data.perceivedObjects;
  const objects: CpmObject[] = [];
  for (let i = 0; i < CPM_OBJECTS; i++) {
    const copy = structuredClone(originals[i % originals.length] as CpmObject);
    copy.objectId = 200 + i;
    copy.position.xCoordinate.value += 5 * i;
    copy.position.yCoordinate.value -= 5 * i;
    objects.push(copy);
  }
  data.perceivedObjects = objects;
  data.numberOfPerceivedObjects = objects.length;
  return Buffer.from(JSON.stringify(cpm));
}

/**
 * Operations per CPU-second of `a` and `b`, measured in alternating bursts: on a shared or
 * loaded machine both see the same conditions, and CPU time ignores time spent descheduled.
 */
function interleavedCpuRates(a: () => void, b: () => void, rounds: number, burst: number): [number, number] {
  for (let i = 0; i < burst * 2; i++) {
    a();
    b();
  }
  let cpuA = 0;
  let cpuB = 0;
  for (let round = 0; round < rounds; round++) {
    let start = process.cpuUsage();
    for (let i = 0; i < burst; i++) a();
    let used = process.cpuUsage(start);
    cpuA += used.user + used.system;
    start = process.cpuUsage();
    for (let i = 0; i < burst; i++) b();
    used = process.cpuUsage(start);
    cpuB += used.user + used.system;
  }
  const operations = rounds * burst;
  return [operations / (cpuA / 1e6), operations / (cpuB / 1e6)];
}

export const benchmark: Benchmark = {
  id: "decoder",
  title: "C-ITS decoder",
  async run({ quick }) {
    // Compact, as vanetza-nap publishes it, and as the Buffer MQTT hands over.
    const payload = Buffer.from(JSON.stringify(JSON.parse(readFileSync(fixture, "utf8"))));
    const topic = "vanetza/out/cam";
    const first = decode(topic, payload, 0);
    if (!first.ok) throw new Error(`the benchmark CAM does not decode: ${first.rejection.reason}`);

    let sink = 0;
    const [parseRate, decodeRate] = interleavedCpuRates(
      () => {
        sink += (JSON.parse(payload.toString("utf8")) as { timestamp: number }).timestamp;
      },
      () => {
        const result = decode(topic, payload, 0);
        sink += result.ok ? result.message.timeMs : 0;
      },
      quick ? 10 : 40,
      2000,
    );
    if (Number.isNaN(sink)) throw new Error("unreachable: keeps the results alive");

    const ratio = decodeRate / parseRate;

    const cpm = cpmWithObjects();
    const decodedCpm = decode("vanetza/out/cpm", cpm, 0);
    if (
      !decodedCpm.ok ||
      decodedCpm.message.type !== "cpm" ||
      decodedCpm.message.perceivedObjects.length !== CPM_OBJECTS
    )
      throw new Error("the benchmark CPM does not decode to its 10 objects");
    const [cpmParseRate, cpmDecodeRate] = interleavedCpuRates(
      () => {
        sink += (JSON.parse(cpm.toString("utf8")) as { timestamp: number }).timestamp;
      },
      () => {
        const result = decode("vanetza/out/cpm", cpm, 0);
        sink += result.ok ? result.message.timeMs : 0;
      },
      quick ? 10 : 40,
      500,
    );
    if (Number.isNaN(sink)) throw new Error("unreachable: keeps the results alive");
    const cpmRatio = cpmDecodeRate / cpmParseRate;

    return [
      {
        name: `CAM decode, vanetza-nap envelope (${payload.length} bytes), per CPU-second of one core`,
        value: decodeRate,
        unit: "msg/s",
        baseline: { name: "JSON.parse alone (floor)", value: parseRate, unit: "msg/s" },
        aim: ">= 0.5 x JSON.parse",
        met: ratio >= 0.5,
        notes: `decode / JSON.parse = ${ratio.toFixed(2)}`,
      },
      {
        name: `CPM decode, vanetza-nap TS 103 324 with sensor container and ${CPM_OBJECTS} objects (${cpm.length} bytes), per CPU-second of one core`,
        value: cpmDecodeRate,
        unit: "msg/s",
        baseline: { name: "JSON.parse alone (floor)", value: cpmParseRate, unit: "msg/s" },
        notes: `decode / JSON.parse = ${cpmRatio.toFixed(2)}`,
      },
    ];
  },
};
