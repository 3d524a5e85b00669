/**
 * The manager function from its dependencies: the one wiring that the functions-framework entry
 * point (index.ts) and the embedded stack share.
 */
import type { Registry } from "prom-client";
import type { Config } from "../lib/config.ts";
import type { TwinDirectory } from "../lib/manager/directory.ts";
import { createManagerHandler, type ManagerHandler } from "../lib/manager/handler.ts";
import type { MigrationControl } from "../lib/migration/engine/engine.ts";
import { apiTokenFromConfig } from "../lib/runtime/auth.ts";
import type { HomeRegistry } from "../lib/runtime/homeRegistry.ts";
import type { Topology } from "../lib/topology.ts";

export interface ManagerDependencies {
  config: Config;
  topology: Topology;
  twins: TwinDirectory;
  migrations: MigrationControl;
  /** Where twins live, when the caller keeps that record (the embedded stack). */
  homes?: Pick<HomeRegistry, "homeOf" | "twinsAt">;
  metricsRegistry?: Registry;
  /** Messages rejected so far, where this process counts them (the embedded stack's bridges). */
  rejectedMessages?: () => number;
  /** The API listens on loopback only (the embedded stack's default): requests must name this machine. */
  loopbackOnly?: boolean;
}

export function managerFunction(dependencies: ManagerDependencies): ManagerHandler {
  const { config, topology, twins, migrations, homes, metricsRegistry, rejectedMessages, loopbackOnly } =
    dependencies;
  const apiToken = apiTokenFromConfig(config);
  return createManagerHandler({
    twins,
    mecs: topology.mecs,
    migrations,
    ...(homes === undefined ? {} : { homes }),
    ...(apiToken === undefined ? {} : { apiToken }),
    ...(metricsRegistry === undefined ? {} : { metricsRegistry }),
    ...(rejectedMessages === undefined ? {} : { rejectedMessages }),
    ...(config.VVCU_CONSOLE_TILE_URL === undefined ? {} : { consoleTileUrl: config.VVCU_CONSOLE_TILE_URL }),
    ...(config.VVCU_CONSOLE_TILE_ATTRIBUTION === undefined
      ? {}
      : { consoleTileAttribution: config.VVCU_CONSOLE_TILE_ATTRIBUTION }),
    ...(loopbackOnly === undefined ? {} : { loopbackOnly }),
  });
}
