/** Twins for the proxy tests, made by the real reducer from real-shaped messages. */
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { twinOptions } from "../../../functions/lib/twin/state/options.ts";
import type { TwinRecord } from "../../../functions/lib/twin/state/records.ts";
import { applyEvent } from "../../../functions/lib/twin/state/reducer.ts";
import { T0 } from "../twin/messages.ts";

export function twinFrom(mec: string, messages: CitsMessage[]): Twin {
  let record: TwinRecord | undefined;
  messages.forEach((message, index) => {
    record = applyEvent(record, message, `${message.stationId}-${index}`, {
      mec,
      nowMs: T0 + index,
      options: twinOptions(),
    }).record;
  });
  if (!record) throw new Error("no messages");
  return record.twin;
}

export function migration(fields: Partial<Migration> = {}): Migration {
  return {
    id: "m-1",
    twin: "car-1",
    from: "mec-a",
    to: "mec-b",
    trigger: "geofence",
    reason: "entered-zone",
    status: "running",
    step: "reserved",
    driver: "local",
    requestedAt: new Date(T0).toISOString(),
    ...fields,
  };
}
