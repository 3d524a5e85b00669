/** Which driver places at / releases from each MEC: the MEC's `driver` in the topology, else the default. */
import type { MigrationDriver } from "../model/driver.ts";

export interface DriverTopology {
  mecs: { id: string; driver?: string }[];
  defaults: { driver: string };
}

/** The driver name per MEC id. */
export function driverNames(topology: DriverTopology): Map<string, string> {
  return new Map(topology.mecs.map((mec) => [mec.id, mec.driver ?? topology.defaults.driver]));
}

/**
 * A `driverFor(mec)` for the engine. Fails at once, naming the MEC, when the topology asks for
 * a driver that was not built (e.g. `local` in a cluster, where no in-process hosts exist).
 */
export function driverSelector(
  topology: DriverTopology,
  drivers: Partial<Record<string, MigrationDriver>>,
): (mec: string) => MigrationDriver {
  const names = driverNames(topology);
  const chosen = new Map<string, MigrationDriver>();
  for (const [mec, name] of names) {
    const driver = drivers[name];
    if (driver === undefined) {
      const available = Object.keys(drivers).join(", ") || "none";
      throw new Error(
        `MEC ${mec} uses the ${name} driver, which is not available here (available: ${available})`,
      );
    }
    chosen.set(mec, driver);
  }
  return (mec) => {
    const driver = chosen.get(mec);
    if (driver === undefined) throw new Error(`no MEC "${mec}" in the topology`);
    return driver;
  };
}
