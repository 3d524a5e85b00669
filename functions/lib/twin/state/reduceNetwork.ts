/** The reducer's LOGS messages: the station's latest network figures. */
import type { LogsMessage } from "../../cits/types.ts";
import type { Twin } from "../../model/twin.ts";
import { isoTime } from "./isoTime.ts";

const NETWORK_FIELDS = [
  "throughputBps",
  "rxBytes",
  "txBytes",
  "rssiDbm",
  "rsrpDbm",
  "rsrqDb",
  "sinrDb",
] as const;

export function applyLogs(twin: Twin, message: LogsMessage): void {
  const network = { ...twin.network, updatedAt: isoTime(message.timeMs) };
  for (const field of NETWORK_FIELDS) {
    const value = message[field];
    if (value !== undefined) network[field] = value;
  }
  twin.network = network;
}
