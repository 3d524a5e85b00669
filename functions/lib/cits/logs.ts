/**
 * Station logs on obu/inqueue/json/<station>/LOGS/network and .../LOGS/access. Their JSON is
 * free-form: every numeric leaf (nested objects flattened as "a.b", at most three levels)
 * is kept in `values`, and the well-known ones are lifted out by name, case-insensitively
 * and ignoring "_" and "-": throughput (bit/s), rx/tx bytes, RSSI, RSRP, RSRQ, SINR.
 */
import type { JsonObject } from "./read.ts";
import { isObject } from "./read.ts";
import type { LogsMessage } from "./types.ts";

type LogsFields = Omit<LogsMessage, "type" | "stationId" | "stationType" | "timeMs" | "sequence" | "origin">;
type KnownField = "throughputBps" | "rxBytes" | "txBytes" | "rssiDbm" | "rsrpDbm" | "rsrqDb" | "sinrDb";

const KNOWN: Record<string, KnownField> = {
  throughput: "throughputBps",
  throughputbps: "throughputBps",
  bitrate: "throughputBps",
  bps: "throughputBps",
  rxbytes: "rxBytes",
  bytesreceived: "rxBytes",
  txbytes: "txBytes",
  bytessent: "txBytes",
  rssi: "rssiDbm",
  rssidbm: "rssiDbm",
  rsrp: "rsrpDbm",
  rsrpdbm: "rsrpDbm",
  rsrq: "rsrqDb",
  rsrqdb: "rsrqDb",
  sinr: "sinrDb",
  sinrdb: "sinrDb",
  snr: "sinrDb",
};

/** Envelope fields that are not measurements. */
const SKIPPED = new Set(["timestamp", "stationid", "time", "generationdeltatime"]);

function collect(object: JsonObject, prefix: string, depth: number, values: Record<string, number>): void {
  for (const key in object) {
    const value = object[key];
    const name = prefix === "" ? key : `${prefix}.${key}`;
    if (typeof value === "number" && Number.isFinite(value)) values[name] = value;
    else if (depth < 3 && isObject(value)) collect(value, name, depth + 1, values);
  }
}

export function normalizeLogs(root: JsonObject, kind: "network" | "access"): LogsFields {
  const all: Record<string, number> = {};
  collect(root, "", 1, all);
  const out: LogsFields = { kind, values: {} };
  for (const name in all) {
    const leaf = name
      .slice(name.lastIndexOf(".") + 1)
      .toLowerCase()
      .replace(/[_-]/g, "");
    const value = all[name] as number;
    if (SKIPPED.has(leaf)) continue;
    const known = KNOWN[leaf];
    if (known !== undefined && out[known] === undefined) out[known] = value;
    else out.values[name] = value;
  }
  return out;
}
