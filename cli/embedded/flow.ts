/**
 * Per-station message accounting across the MEC hosts, which makes the local driver's `settle`
 * exact: a migration's snapshot must hold every message the target's bridge skipped before it
 * became a receiver.
 *
 * Each MEC's bridge sees every station's messages in the same order (one MQTT subscription per
 * bridge, per-publisher order), so counts line up: once the source has seen at least as many of
 * the twin's messages as the target had when it started receiving, and has applied every one it
 * forwarded, nothing the target skipped is missing from the source's state.
 */
export class StationFlow {
  private readonly seenBy = new Map<string, Map<string, number>>();
  private readonly forwardedBy = new Map<string, Map<string, number>>();
  private readonly handledBy = new Map<string, Map<string, number>>();

  private static bump(table: Map<string, Map<string, number>>, mec: string, station: string): void {
    let counts = table.get(mec);
    if (counts === undefined) {
      counts = new Map();
      table.set(mec, counts);
    }
    counts.set(station, (counts.get(station) ?? 0) + 1);
  }

  private static read(table: Map<string, Map<string, number>>, mec: string, station: string): number {
    return table.get(mec)?.get(station) ?? 0;
  }

  /** The MEC's bridge looked at one of the station's messages and forwarded it or not. */
  seen(mec: string, station: string, forwarded: boolean): void {
    StationFlow.bump(this.seenBy, mec, station);
    if (forwarded) StationFlow.bump(this.forwardedBy, mec, station);
  }

  /** The MEC's twin function finished with one of the station's forwarded messages. */
  handled(mec: string, station: string): void {
    StationFlow.bump(this.handledBy, mec, station);
  }

  /** Drops a station's counts (it expired everywhere). */
  forget(station: string): void {
    for (const table of [this.seenBy, this.forwardedBy, this.handledBy]) {
      for (const counts of table.values()) counts.delete(station);
    }
  }

  counts(mec: string, station: string): { seen: number; forwarded: number; handled: number } {
    return {
      seen: StationFlow.read(this.seenBy, mec, station),
      forwarded: StationFlow.read(this.forwardedBy, mec, station),
      handled: StationFlow.read(this.handledBy, mec, station),
    };
  }

  /** The most any MEC other than `source` has seen of the station. */
  seenElsewhere(station: string, source: string): number {
    let most = 0;
    for (const [mec, counts] of this.seenBy) {
      if (mec !== source) most = Math.max(most, counts.get(station) ?? 0);
    }
    return most;
  }

  /**
   * Resolves true once `source` has seen as many of the station's messages as any other MEC had
   * when this was called, and has applied every message it forwarded by then; false after
   * `timeoutMs` (a redelivered duplicate can skew the counts: the migration then goes on and
   * relies on event ids for idempotence).
   */
  async settle(station: string, source: string, timeoutMs = 2_000, pollMs = 1): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const goal = this.seenElsewhere(station, source);
    let forwardedGoal: number | undefined;
    for (;;) {
      const own = this.counts(source, station);
      if (forwardedGoal === undefined && own.seen >= goal) forwardedGoal = own.forwarded;
      if (forwardedGoal !== undefined && own.handled >= forwardedGoal) return true;
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
