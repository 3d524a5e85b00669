/** The twin's tunables, with the defaults the embedded stack and the twin function use. */
export interface TwinOptions {
  /** Recent positions kept in `trajectory`. */
  trajectoryLength: number;
  /**
   * A position joins the trajectory when this long after the last point (0: every position), so
   * 100 points span 100 s of a 10 Hz CAM stream, and most messages share the trajectory unchanged.
   */
  trajectoryIntervalMs: number;
  /** Quiet time after which a twin is `stale`. */
  staleAfterMs: number;
  /** Quiet time after which a twin is removed (with a `twin.expired` event). */
  expireAfterMs: number;
  /** Window over which `messageRates` are computed. */
  rateWindowMs: number;
  /** Other twins of the same MEC within this distance are neighbours. */
  neighbourRadiusM: number;
  /**
   * A twin lists at most this many neighbours, the nearest. In dense traffic hundreds of twins
   * are within the radius; finding, measuring and sending all of them with every update was the
   * largest cost of a twin.updated, and a consumer (collision warning, platooning) looks at the
   * closest ones. The index stops looking once it holds these for certain.
   */
  maxNeighbours: number;
  /** At most this many `twin.updated` per twin and second; the last state is always sent. */
  maxUpdatesPerSecond: number;
  /** Events parked per arriving twin (between expect and hydrate); the oldest are dropped beyond. */
  maxParkedEvents: number;
  /** Perceived objects kept per twin (the CPM's, capped against hostile input). */
  maxPerceivedObjects: number;
  /** Active hazards kept per twin. */
  maxHazards: number;
  /** How far back a twin's history (history.ts) reaches. */
  historyMs: number;
  /** At most one history sample per this many ms: faster reports are downsampled. */
  historyIntervalMs: number;
  /** At most one record of perceived objects (an RSU's CPM) per this many ms. */
  historyObjectsIntervalMs: number;
}

export const DEFAULT_TWIN_OPTIONS: TwinOptions = {
  trajectoryLength: 100,
  trajectoryIntervalMs: 1_000,
  staleAfterMs: 10_000,
  expireAfterMs: 60_000,
  rateWindowMs: 5_000,
  neighbourRadiusM: 300,
  maxNeighbours: 32,
  maxUpdatesPerSecond: 10,
  maxParkedEvents: 10_000,
  maxPerceivedObjects: 256,
  maxHazards: 64,
  historyMs: 600_000,
  historyIntervalMs: 1_000,
  historyObjectsIntervalMs: 10_000,
};

/** Defaults with the given overrides; throws a clear error for values that make no sense. */
export function twinOptions(overrides: Partial<TwinOptions> = {}): TwinOptions {
  const options = { ...DEFAULT_TWIN_OPTIONS, ...overrides };
  for (const [name, value] of Object.entries(options)) {
    const zeroAllowed = name === "trajectoryIntervalMs";
    if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
      throw new Error(`twin option ${name} must be a positive number`);
    }
  }
  if (!Number.isInteger(options.maxNeighbours)) {
    throw new Error("twin option maxNeighbours must be a whole number");
  }
  if (options.expireAfterMs < options.staleAfterMs) {
    throw new Error("twin option expireAfterMs must not be shorter than staleAfterMs");
  }
  return options;
}

type TwinConfig = {
  VVCU_TWIN_STALE_AFTER_S?: number | undefined;
  VVCU_TWIN_EXPIRE_AFTER_S?: number | undefined;
  VVCU_TWIN_NEIGHBOUR_RADIUS_M?: number | undefined;
  VVCU_TWIN_UPDATES_PER_S?: number | undefined;
  VVCU_TWIN_HISTORY_S?: number | undefined;
  VVCU_TWIN_HISTORY_INTERVAL_S?: number | undefined;
  VVCU_TWIN_HISTORY_OBJECTS_INTERVAL_S?: number | undefined;
};

/** Only the options the environment sets (config.ts: VVCU_TWIN_*), to lay over other defaults. */
export function twinOverridesFromConfig(config: TwinConfig): Partial<TwinOptions> {
  const overrides: Partial<TwinOptions> = {};
  if (config.VVCU_TWIN_STALE_AFTER_S !== undefined)
    overrides.staleAfterMs = config.VVCU_TWIN_STALE_AFTER_S * 1000;
  if (config.VVCU_TWIN_EXPIRE_AFTER_S !== undefined)
    overrides.expireAfterMs = config.VVCU_TWIN_EXPIRE_AFTER_S * 1000;
  if (config.VVCU_TWIN_NEIGHBOUR_RADIUS_M !== undefined)
    overrides.neighbourRadiusM = config.VVCU_TWIN_NEIGHBOUR_RADIUS_M;
  if (config.VVCU_TWIN_UPDATES_PER_S !== undefined)
    overrides.maxUpdatesPerSecond = config.VVCU_TWIN_UPDATES_PER_S;
  if (config.VVCU_TWIN_HISTORY_S !== undefined) overrides.historyMs = config.VVCU_TWIN_HISTORY_S * 1000;
  if (config.VVCU_TWIN_HISTORY_INTERVAL_S !== undefined)
    overrides.historyIntervalMs = config.VVCU_TWIN_HISTORY_INTERVAL_S * 1000;
  if (config.VVCU_TWIN_HISTORY_OBJECTS_INTERVAL_S !== undefined)
    overrides.historyObjectsIntervalMs = config.VVCU_TWIN_HISTORY_OBJECTS_INTERVAL_S * 1000;
  return overrides;
}

/** The options the environment sets (config.ts: VVCU_TWIN_*); the rest keep their defaults. */
export function twinOptionsFromConfig(config: TwinConfig): TwinOptions {
  return twinOptions(twinOverridesFromConfig(config));
}
