/**
 * `npm run soak -- [--duration S] [--vehicles N] [--rate HZ] [--broker embedded|mosquitto]
 * [--bad-rate R] [--sample-every S] [--out FILE]`: runs the soak (soak.ts) and prints its report.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { percentile, runSoak, type SoakReport } from "./soak.ts";

function summary(report: SoakReport): string {
  const afterWarmUp = report.samples.filter(
    (sample) => sample.atS >= Math.min(60, report.options.durationS / 4),
  );
  const rss = afterWarmUp.map((sample) => sample.rssMb);
  const lines = [
    `soak: ${report.options.durationS} s, ${report.options.vehicles} vehicles at ${report.options.rateHz} Hz, broker ${report.options.broker}, ${report.brokerRestarts} broker restart(s)`,
    `CAMs published ${report.camsPublished}, counted once by their twins ${report.camsApplied}; applications per MEC ${report.camApplications} (late ${report.camsLate}); duplicates ignored ${report.duplicatesIgnored}; sim dropped ${report.simDropped} while the broker was away, failed ${report.simFailed}`,
    `bad input sent ${JSON.stringify(report.badSent)}`,
    `dead letters per reason ${JSON.stringify(report.deadLetters)}`,
    `bad input without its dead letter of the expected reason: ${report.badUnaccounted}`,
    `stuck subscriber cut off: ${report.stuckSubscriberCut}; 200 MB PUBLISH closed: ${report.oversizeConnectionClosed ?? "not tried"}`,
    `RSS after warm-up: min ${Math.min(...rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB`,
    `event-loop lag: p99 of the samples' p99 ${percentile(
      report.samples.map((sample) => sample.lagP99Ms),
      0.99,
    ).toFixed(
      1,
    )} ms, largest max ${Math.max(...report.samples.map((sample) => sample.lagMaxMs)).toFixed(1)} ms`,
  ];
  return lines.join("\n");
}

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "600" },
    vehicles: { type: "string", default: "200" },
    rate: { type: "string", default: "2" },
    broker: { type: "string", default: "mosquitto" },
    "bad-rate": { type: "string", default: "2" },
    "sample-every": { type: "string", default: "10" },
    out: { type: "string" },
  },
});
if (values.broker !== "embedded" && values.broker !== "mosquitto") {
  throw new Error(`--broker must be embedded or mosquitto, got '${values.broker}'`);
}
const report = await runSoak({
  durationS: Number(values.duration),
  vehicles: Number(values.vehicles),
  rateHz: Number(values.rate),
  broker: values.broker,
  badRoundsPerSecond: Number(values["bad-rate"]),
  sampleEveryS: Number(values["sample-every"]),
  progress: (line) => console.error(`soak: ${line}`),
});
if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
console.log(summary(report));
const accounted = report.camsApplied === report.camsPublished && report.badUnaccounted === 0;
process.exitCode = accounted ? 0 : 1;
