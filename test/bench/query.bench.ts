/**
 * `query`: the read API's geo queries and the twins' history (issue 20).
 * - `near` (500 m) and `bbox` (1 km square) over 10,000 twins answered from the spatial index,
 *   beside a plain loop over every twin with the same exact test, in the same run; the twins found
 *   are checked to be the same. Then the API's selection on top (filters, order, page), from the
 *   index's twins and from every twin.
 * - History: what recording a sample costs per CAM (10 Hz CAMs, 1 Hz samples), beside applying
 *   the CAM to its twin (the reducer) on the same CAMs.
 * - Memory of one twin's full history (10 minutes at the default density).
 * Aims: near and bbox >= 20x faster than the scan, and under 1 ms for a 500 m radius.
 */
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";
import { decode } from "../../functions/lib/cits/decode.ts";
import type { CamMessage } from "../../functions/lib/cits/types.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { HistoryBook } from "../../functions/lib/twin/historyBook.ts";
import { historyCapacity, TwinHistory } from "../../functions/lib/twin/state/history.ts";
import { DEFAULT_TWIN_OPTIONS } from "../../functions/lib/twin/state/options.ts";
import type { TwinRecord } from "../../functions/lib/twin/state/records.ts";
import { type ApplyContext, applyEvent } from "../../functions/lib/twin/state/reducer.ts";
import { areaFigures, CENTRE, cpuSeconds } from "./queryAreas.ts";
import { type BenchFigure, type Benchmark, SAMPLE_CAM_FIXTURE } from "./types.ts";

/** Per CAM: recording history (a sample a second of 10 Hz CAMs) beside applying the CAM (reducer). */
function historyFigures(quick: boolean): BenchFigure[] {
  const decoded = decode("vanetza/out/cam", readFileSync(SAMPLE_CAM_FIXTURE), 0);
  if (!decoded.ok || decoded.message.type !== "cam") throw new Error("the benchmark CAM does not decode");
  const base = decoded.message;
  const stations = 1_000;
  const rounds = quick ? 50 : 200;
  const messages: CamMessage[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let s = 0; s < stations; s++) {
      messages.push({
        ...base,
        stationId: String(100_000 + s),
        sequence: base.sequence + round * 100,
        timeMs: base.timeMs + round * 100,
      });
    }
  }
  const context: ApplyContext = { mec: "bench", nowMs: 0, options: DEFAULT_TWIN_OPTIONS };
  const records = new Map<string, TwinRecord>();
  const twins: Twin[] = [];
  const startCpu = cpuSeconds();
  messages.forEach((message, i) => {
    context.nowMs = 1_000_000 + Math.floor(i / stations) * 100;
    const result = applyEvent(records.get(message.stationId), message, `e-${i}`, context);
    records.set(message.stationId, result.record);
    twins.push(result.record.twin);
  });
  const applyMs = ((cpuSeconds() - startCpu) * 1000) / messages.length;
  const book = new HistoryBook(
    {
      durationMs: DEFAULT_TWIN_OPTIONS.historyMs,
      intervalMs: DEFAULT_TWIN_OPTIONS.historyIntervalMs,
      objectsIntervalMs: DEFAULT_TWIN_OPTIONS.historyObjectsIntervalMs,
    },
    componentLogger("bench"),
  );
  // Warm-up on other ids, then the same CAMs' twins at their receipt times.
  for (let i = 0; i < 5_000; i++)
    book.record({ ...(twins[i % stations] as Twin), id: `w${i % 100}` }, i * 100);
  const recordStart = cpuSeconds();
  for (let i = 0; i < twins.length; i++)
    book.record(twins[i] as Twin, 1_000_000 + Math.floor(i / stations) * 100);
  const recordMs = ((cpuSeconds() - recordStart) * 1000) / twins.length;

  const capacity = historyCapacity({
    durationMs: DEFAULT_TWIN_OPTIONS.historyMs,
    intervalMs: DEFAULT_TWIN_OPTIONS.historyIntervalMs,
    objectsIntervalMs: DEFAULT_TWIN_OPTIONS.historyObjectsIntervalMs,
  });
  const histories: TwinHistory[] = [];
  const count = 1_000;
  const collectGarbage = garbageCollector();
  collectGarbage();
  const before = process.memoryUsage();
  for (let h = 0; h < count; h++) {
    const history = new TwinHistory({
      durationMs: DEFAULT_TWIN_OPTIONS.historyMs,
      intervalMs: DEFAULT_TWIN_OPTIONS.historyIntervalMs,
      objectsIntervalMs: DEFAULT_TWIN_OPTIONS.historyObjectsIntervalMs,
    });
    for (let s = 0; s < capacity.samples; s++)
      history.append(s * 1_000, CENTRE, 10, 90, { cam: 10, cpm: 0, denm: 0, vam: 0, logs: 0 });
    histories.push(history);
  }
  // What the histories keep, not the garbage that filling them made (a rates object per sample).
  collectGarbage();
  const after = process.memoryUsage();
  const measured = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / count;
  return [
    {
      name: "history recorded per CAM (10 Hz CAMs of 1,000 twins, a sample a second), per CPU",
      value: recordMs * 1e6,
      unit: "ns/CAM",
      baseline: { name: "applying the same CAM to its twin (reducer)", value: applyMs * 1e6, unit: "ns/CAM" },
      aim: "within noise of the apply cost (<= 10% of it)",
      met: recordMs <= applyMs * 0.1,
      notes: `${((recordMs / applyMs) * 100).toFixed(1)}% of the apply cost`,
    },
    {
      name: `memory of one twin's full history (${DEFAULT_TWIN_OPTIONS.historyMs / 60_000} min, one sample per ${DEFAULT_TWIN_OPTIONS.historyIntervalMs / 1000} s: ${capacity.samples} samples)`,
      value: measured / 1024,
      unit: "KiB/twin",
      baseline: {
        name: "the sample columns alone (44 bytes a sample)",
        value: (histories[0] as TwinHistory).bytes() / 1024,
        unit: "KiB/twin",
      },
      notes: `10,000 twins: about ${Math.round((measured * 10_000) / 2 ** 20)} MiB (heap and array buffers after a full collection, measured over ${count} histories)`,
    },
  ];
}

/** A full collection on demand, without starting the bench under --expose-gc. */
function garbageCollector(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

export const benchmark: Benchmark = {
  id: "query",
  title: "Twin queries and history",
  async run({ quick }) {
    return [...areaFigures(quick), ...historyFigures(quick)];
  },
};
