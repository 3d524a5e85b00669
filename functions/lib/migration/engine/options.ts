/** How a MigrationEngine is wired and bounded: its drivers, stores, sink and deadlines. */
import type { Logger } from "../../log.ts";
import type { MigrationDriver } from "../../model/driver.ts";
import type { EventSink } from "../../runtime/emit/sink.ts";
import type { HomeRegistry } from "../../runtime/homeRegistry.ts";
import type { MigrationJournal } from "../journal/journal.ts";

export interface MigrationEngineOptions {
  /** MEC ids of the topology. */
  mecs: Iterable<string>;
  /** The driver that places at / releases from a MEC (topology: per-MEC `driver`, or the default). */
  driverFor: (mec: string) => MigrationDriver;
  homes: HomeRegistry;
  journal: MigrationJournal;
  sink: EventSink;
  /** Where this engine runs, for the events' source. */
  mec?: string;
  placeTimeoutMs?: number;
  readyTimeoutMs?: number;
  releaseTimeoutMs?: number;
  /** Attempts at releasing the source after the switch (and the target in a rollback). */
  releaseAttempts?: number;
  /** Delay before the first retry; doubles after each. */
  releaseRetryDelayMs?: number;
  /** Finished migrations kept for the API and idempotence. */
  historyLimit?: number;
  logger?: Logger;
}

/** The deadline of one kind of driver call. */
export function stepTimeoutMs(options: MigrationEngineOptions, step: "place" | "ready" | "release"): number {
  const { placeTimeoutMs, readyTimeoutMs, releaseTimeoutMs } = options;
  return (step === "place" ? placeTimeoutMs : step === "ready" ? readyTimeoutMs : releaseTimeoutMs) ?? 60_000;
}
