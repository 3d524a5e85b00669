/**
 * `decoder`: full decoding (parse, validate, normalize) of a vanetza-nap CAM envelope on one
 * core, next to JSON.parse alone on the same bytes: the floor no decoder can beat.
 * Aim (issue 2): at least half of JSON.parse's rate.
 */
import { readFileSync } from "node:fs";
import { decode } from "../../functions/lib/cits/decode.ts";
import { type Benchmark, SAMPLE_CAM_FIXTURE } from "./types.ts";

const fixture = SAMPLE_CAM_FIXTURE;

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
    ];
  },
};
