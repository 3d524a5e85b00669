/**
 * Where each twin lives (its home MEC). The single source of truth for the bridge's
 * filter, the geofence and the migration engine. Embedded: in memory. In a cluster the
 * twin CNF objects are the record and an informer keeps a registry like this one current.
 */
export interface HomeChange {
  twin: string;
  /** Undefined when the twin was removed. */
  mec: string | undefined;
  /** MECs that receive the twin's events during a migration (source and target). */
  receivers: string[];
}

export class HomeRegistry {
  private readonly homes = new Map<string, string>();
  /** Extra receivers while a migration is running: the target subscribes before the switch. */
  private readonly guests = new Map<string, string>();
  private readonly listeners = new Set<(change: HomeChange) => void>();

  homeOf(twin: string): string | undefined {
    return this.homes.get(twin);
  }

  /** MECs that should receive this twin's events now. */
  receiversOf(twin: string): string[] {
    const home = this.homes.get(twin);
    const guest = this.guests.get(twin);
    return [home, guest].filter((mec): mec is string => mec !== undefined);
  }

  twinsAt(mec: string): string[] {
    return [...this.homes].filter(([, home]) => home === mec).map(([twin]) => twin);
  }

  entries(): [twin: string, mec: string][] {
    return [...this.homes];
  }

  setHome(twin: string, mec: string): void {
    this.homes.set(twin, mec);
    if (this.guests.get(twin) === mec) this.guests.delete(twin);
    this.notify(twin);
  }

  addGuest(twin: string, mec: string): void {
    this.guests.set(twin, mec);
    this.notify(twin);
  }

  removeGuest(twin: string): void {
    if (this.guests.delete(twin)) this.notify(twin);
  }

  remove(twin: string): void {
    this.homes.delete(twin);
    this.guests.delete(twin);
    this.notify(twin);
  }

  onChange(listener: (change: HomeChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(twin: string): void {
    const change = { twin, mec: this.homes.get(twin), receivers: this.receiversOf(twin) };
    for (const listener of this.listeners) listener(change);
  }
}
