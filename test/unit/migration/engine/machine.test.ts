/**
 * The migration state machine on its own: each row walks one migration from its start (or from
 * a journal record after a restart) through the events its commands give, and checks every
 * phase, effect and command on the way and the record it ends with.
 */
import { describe, expect, it } from "vitest";
import {
  type Clock,
  type MachineEvent,
  type RecoveryAction,
  recoveryAction,
  resume,
  start,
  type Transition,
  transition,
} from "../../../../functions/lib/migration/engine/machine.ts";
import { type JournalEntry, reserve, stepDone } from "../../../../functions/lib/migration/engine/record.ts";
import type { TwinDeployment } from "../../../../functions/lib/model/driver.ts";
import type { Migration, MigrationRequest } from "../../../../functions/lib/model/migration.ts";

const request: MigrationRequest = {
  id: "m-1",
  twin: "42",
  from: "mec-a",
  to: "mec-b",
  trigger: "geofence",
  reason: "entered-zone",
  requestedAt: "2026-12-03T10:00:00.000Z",
};
const firstHome: MigrationRequest = { ...request, from: "mec-b", reason: "first-placement" };
const SOURCE: TwinDeployment = { driver: "fake", twin: "42", mec: "mec-a", ref: "a/42" };
const TARGET: TwinDeployment = { driver: "fake", twin: "42", mec: "mec-b", ref: "b/42#1" };
/** Monotonic time of the request; each event comes 10 ms after the one before. */
const STARTED_AT = 1000;

const placed: MachineEvent = { type: "placed", target: TARGET };
const ready: MachineEvent = { type: "ready" };
const journaled: MachineEvent = { type: "journaled" };
const activated: MachineEvent = { type: "activated" };
const released = (mec: string, ref: string): MachineEvent => ({ type: "released", mec, ref });
const failed = (error: string): MachineEvent => ({ type: "failed", error });

/** One transition as the executor sees it: the phase reached, then what it performs, in order. */
function step(next: Transition): string {
  const effects = next.effects.map((effect) =>
    effect.kind === "set-home"
      ? `set-home ${effect.mec}`
      : effect.kind === "warn"
        ? `warn ${effect.message}`
        : effect.kind,
  );
  const command = next.command;
  const what =
    command === undefined
      ? []
      : command.kind === "release"
        ? [`release ${command.mec} by ${command.recorded?.ref ?? "its driver's name"}`]
        : command.kind === "journal"
          ? [`journal ${command.entry.migration.step} ${command.entry.migration.status}`]
          : command.kind === "activate"
            ? [`activate ${command.deployment.mec}`]
            : [command.kind];
  return [next.state.phase, ...effects, ...what].join(" | ");
}

function walk(
  first: (clock: Clock) => Transition,
  events: MachineEvent[],
): { steps: string[]; last: Transition } {
  let now = STARTED_AT;
  const clock = (): Clock => ({ now, at: new Date(Date.UTC(2026, 11, 3, 10, 0, 0, now)).toISOString() });
  let next = first(clock());
  const steps = [step(next)];
  for (const event of events) {
    now += 10;
    next = transition(next.state, event, clock());
    steps.push(step(next));
  }
  return { steps, last: next };
}

const reserved = (of: MigrationRequest): JournalEntry => ({ migration: reserve(of, of.from, "fake") });
const fromStart = (of: MigrationRequest) => () => start(reserved(of), SOURCE, STARTED_AT);
/** A journal record as a restart finds it: stopped after `step`, with the deployments it recorded. */
function record(
  of: MigrationRequest,
  steps: Migration["step"][],
  deployments: Partial<JournalEntry>,
): JournalEntry {
  const migration = steps.reduce((so, next) => stepDone(so, next), reserve(of, of.from, "fake"));
  return { migration, ...deployments };
}
const afterRestart = (entry: JournalEntry) => (clock: Clock) =>
  resume(entry, recoveryAction(entry.migration) as Exclude<RecoveryAction, "none">, clock);

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

/** The steps every migration takes up to waiting for the target, and up to the switch. */
const UNTIL_READY = [
  "placing | place",
  "journaling-placed | journal placed running",
  "readying | wait-until-ready",
];
const UNTIL_SWITCH = [
  ...UNTIL_READY,
  "journaling-ready | journal ready running",
  "journaling-switched | emit | set-home mec-b | journal switched running",
];

interface Row {
  name: string;
  first: (clock: Clock) => Transition;
  events: MachineEvent[];
  steps: string[];
  ends: Partial<Migration>;
}

const rows: Row[] = [
  {
    name: "a move: place, ready, switch, release the source, completed with its times",
    first: fromStart(request),
    events: [
      placed,
      journaled,
      ready,
      journaled,
      journaled,
      activated,
      released("mec-a", "gone"),
      journaled,
      journaled,
    ],
    steps: [
      ...UNTIL_SWITCH,
      "activating-target | activate mec-b",
      "releasing-source | release mec-a by a/42",
      "journaling-released | journal released running",
      "journaling-outcome | journal done completed",
      "finished | finish",
    ],
    ends: {
      status: "completed",
      timeUntilReadyMs: 30,
      timeUntilDoneMs: 80,
      finishedAt: "2026-12-03T10:00:01.080Z",
    },
  },
  {
    name: "a failed placement rolls back: the target released by its driver's name, the source activated",
    first: fromStart(request),
    events: [failed("no capacity"), released("mec-b", "b/42"), activated, journaled],
    steps: [
      "placing | place",
      "rolling-back | release mec-b by its driver's name",
      "activating-source | set-home mec-a | activate mec-a",
      "journaling-outcome | journal reserved rolled-back",
      "finished | finish",
    ],
    ends: {
      status: "rolled-back",
      error: "no capacity",
      operations: [{ action: "release", mec: "mec-b", ref: "b/42" }],
    },
  },
  {
    name: "a target never ready rolls back by the deployment the placement gave",
    first: fromStart(request),
    events: [placed, journaled, failed("timed out"), released("mec-b", "b/42#1"), activated, journaled],
    steps: [
      ...UNTIL_READY,
      "rolling-back | release mec-b by b/42#1",
      "activating-source | set-home mec-a | activate mec-a",
      "journaling-outcome | journal placed rolled-back",
      "finished | finish",
    ],
    ends: { status: "rolled-back", error: "timed out" },
  },
  {
    name: "a journal write before the switch that fails rolls back; a target that cannot be released says so",
    first: fromStart(request),
    events: [placed, journaled, ready, failed("disk full"), failed("boom"), failed("no driver"), journaled],
    steps: [
      ...UNTIL_READY,
      "journaling-ready | journal ready running",
      "rolling-back | release mec-b by b/42#1",
      "activating-source | set-home mec-a | activate mec-a",
      "journaling-outcome | warn could not mark the twin active at mec-a | journal ready rolled-back",
      "finished | finish",
    ],
    ends: { status: "rolled-back", error: "disk full; the target at mec-b could not be released: boom" },
  },
  {
    name: "after the switch failures are warned of and a source that cannot be released fails the migration",
    first: fromStart(request),
    events: [
      placed,
      journaled,
      ready,
      journaled,
      failed("disk full"),
      failed("no status"),
      failed("refused"),
      failed("x"),
    ],
    steps: [
      ...UNTIL_SWITCH,
      "activating-target | warn journal write after the switch failed | activate mec-b",
      "releasing-source | warn could not mark the twin active at mec-b | release mec-a by a/42",
      "journaling-outcome | journal switched failed",
      "finished | warn journal write of the outcome failed | finish",
    ],
    ends: { status: "failed", error: "release of the source at mec-a failed: refused" },
  },
  {
    name: "a first home releases nothing once switched",
    first: fromStart(firstHome),
    events: [placed, journaled, ready, journaled, journaled, activated, journaled],
    steps: [
      ...UNTIL_SWITCH,
      "activating-target | activate mec-b",
      "journaling-outcome | journal done completed",
      "finished | finish",
    ],
    ends: { status: "completed", timeUntilDoneMs: 60 },
  },
  {
    name: "a first home that fails keeps its target: nothing released",
    first: fromStart(firstHome),
    events: [failed("no capacity"), journaled],
    steps: ["placing | place", "journaling-outcome | journal reserved rolled-back", "finished | finish"],
    ends: { status: "rolled-back", error: "no capacity", operations: undefined },
  },
  {
    name: "after a restart before the switch: rolled back by the recorded target, no time measured",
    first: afterRestart(record(request, ["placed"], { target: TARGET, source: SOURCE })),
    events: [released("mec-b", "b/42#1"), activated, journaled],
    steps: [
      "rolling-back | release mec-b by b/42#1",
      "activating-source | set-home mec-a | activate mec-a",
      "journaling-outcome | journal placed rolled-back",
      "finished | finish",
    ],
    ends: {
      status: "rolled-back",
      error: "interrupted by a restart before the switch",
      timeUntilReadyMs: undefined,
    },
  },
  {
    name: "after a restart at the switch: home at the target, the source released",
    first: afterRestart(record(request, ["placed", "ready", "switched"], { target: TARGET, source: SOURCE })),
    events: [released("mec-a", "a/42"), journaled, journaled],
    steps: [
      "releasing-source | set-home mec-b | release mec-a by a/42",
      "journaling-released | journal released running",
      "journaling-outcome | journal done completed",
      "finished | finish",
    ],
    ends: { status: "completed", timeUntilDoneMs: undefined },
  },
  {
    name: "after a restart once released: only the outcome",
    first: afterRestart(record(request, ["placed", "ready", "switched", "released"], { target: TARGET })),
    events: [journaled],
    steps: ["journaling-outcome | set-home mec-b | journal done completed", "finished | finish"],
    ends: { status: "completed" },
  },
];

describe("migration state machine", () => {
  it.each(rows)("$name", ({ first, events, steps, ends }) => {
    const walked = walk(first, events);
    expect(walked.steps).toEqual(steps);
    expect(walked.last.command).toBeUndefined();
    const { migration } = walked.last.state.entry;
    const [absent, present] = partition(Object.entries(ends), ([, value]) => value === undefined);
    expect(migration).toMatchObject(Object.fromEntries(present));
    for (const [key] of absent) expect(migration).not.toHaveProperty(key);
  });

  it("journals the deployments with each step: both once placed, for a restart to undo or finish", () => {
    const walked = walk(fromStart(request), [placed]);
    expect(walked.last.command).toEqual({
      kind: "journal",
      entry: {
        migration: expect.objectContaining({
          step: "placed",
          operations: [{ action: "place", mec: "mec-b", ref: "b/42#1" }],
        }),
        target: TARGET,
        source: SOURCE,
      },
    });
  });

  it.each([
    ["placing", [] as MachineEvent[], journaled],
    ["readying", [placed, journaled], placed],
    ["releasing-source", [placed, journaled, ready, journaled, journaled, activated], ready],
    ["finished", [failed("x"), released("mec-b", "r"), activated, journaled], journaled],
  ])("refuses an event its %s phase does not wait for", (_phase, events, unexpected) => {
    const { last } = walk(fromStart(request), events);
    expect(() => transition(last.state, unexpected, { now: 0, at: "" })).toThrow(/m-1: no transition from/);
  });

  it.each([
    ["reserved", "running", "roll-back"],
    ["ready", "running", "roll-back"],
    ["switched", "running", "release-source"],
    ["released", "running", "finish"],
    ["done", "completed", "none"],
    ["placed", "rolled-back", "none"],
  ] as const)("a record at %s, %s, after a restart: %s", (step, status, action) => {
    const migration: Migration = { ...reserve(request, "mec-a", "fake"), step, status };
    expect(recoveryAction(migration)).toBe(action);
  });
});
