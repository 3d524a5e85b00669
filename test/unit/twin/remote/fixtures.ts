/** Test doubles shared by the driver tests: a twin snapshot and an in-memory TwinHostApi. */
import { MESSAGE_TYPES } from "../../../../functions/lib/cits/types.ts";
import type { Twin, TwinSnapshot, TwinStatus } from "../../../../functions/lib/model/twin.ts";
import type { TwinHostApi } from "../../../../functions/lib/twin/remote/host.ts";

export function snapshotOf(id: string, mec: string, sequence = 7): TwinSnapshot {
  const twin: Twin = {
    id,
    stationType: "passengerCar",
    mec,
    status: "stable",
    liveness: "live",
    position: { lat: 40.64, lon: -8.65 },
    speed: 13.9,
    heading: 90,
    lastSeen: "2026-01-01T00:00:00.000Z",
    createdAt: "2026-01-01T00:00:00.000Z",
    messages: Object.fromEntries(
      MESSAGE_TYPES.map((type) => [type, type === "cam" ? sequence : 0]),
    ) as Twin["messages"],
    messageRates: { cam: 10 },
    trajectory: [{ lat: 40.64, lon: -8.65, timeMs: 1 }],
    distanceM: 120,
    averageSpeed: 12,
    maxSpeed: 14,
    perceivedObjects: [],
    hazards: [],
    network: {},
    neighbours: [],
    sequence,
    version: 3,
  };
  return { twin, appliedEventIds: ["e1", "e2"], takenAt: "2026-01-01T00:00:01.000Z" };
}

/** Records every call; twins are ready once hydrated. */
export class MemoryTwinHost implements TwinHostApi {
  readonly calls: string[] = [];
  readonly twins = new Map<string, TwinSnapshot>();
  readonly expected = new Set<string>();
  failNext: Error | undefined;

  constructor(readonly mec: string) {}

  private record(call: string): void {
    this.calls.push(call);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  async expect(twinId: string): Promise<void> {
    this.record(`expect ${twinId}`);
    this.expected.add(twinId);
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    this.record(`hydrate ${snapshot.twin.id}`);
    this.expected.delete(snapshot.twin.id);
    this.twins.set(snapshot.twin.id, { ...snapshot, twin: { ...snapshot.twin, mec: this.mec } });
  }

  async isReady(twinId: string): Promise<boolean> {
    this.record(`isReady ${twinId}`);
    return this.twins.has(twinId) && !this.expected.has(twinId);
  }

  async snapshot(twinId: string): Promise<TwinSnapshot | undefined> {
    this.record(`snapshot ${twinId}`);
    return this.twins.get(twinId);
  }

  async setStatus(twinId: string, status: TwinStatus): Promise<void> {
    this.record(`setStatus ${twinId} ${status}`);
    const snapshot = this.twins.get(twinId);
    if (snapshot) this.twins.set(twinId, { ...snapshot, twin: { ...snapshot.twin, status } });
  }

  async release(twinId: string): Promise<void> {
    this.record(`release ${twinId}`);
    this.twins.delete(twinId);
    this.expected.delete(twinId);
  }
}
