/** Every MQTT topic vvcu reads or writes, in one place. */

/**
 * Input topic patterns the bridge subscribes to by default
 * (docs/architecture.md "Input the bridge accepts").
 */
export const DEFAULT_INPUT_TOPICS = [
  "vanetza/out/+",
  "vanetza/in/+",
  "its_center/inqueue/json/#",
  "obu/inqueue/json/#",
] as const;

export const DEFAULT_DEADLETTER_TOPIC = "vvcu/deadletter";

/** Prefix of everything the proxy publishes for Grafana's MQTT data source. */
export const DASHBOARD_PREFIX = "vvcu/dashboard";

/** Dashboard topics. State topics are retained so a dashboard opened later shows values at once. */
export const dashboardTopics = {
  /** Per twin: flat {id, stationType, lat, lon, speedKmh, heading, mec, status, ...}. */
  twin: (twinId: string) => `${DASHBOARD_PREFIX}/twins/${twinId}`,
  /** Per twin: [{lat, lon}] of the objects it perceives (CPM). */
  twinObjects: (twinId: string) => `${DASHBOARD_PREFIX}/twins/${twinId}/objects`,
  /** Per twin: last migration's timeUntilReadyMs, timeUntilDoneMs and a migration counter. */
  twinMigration: (twinId: string) => `${DASHBOARD_PREFIX}/twins/${twinId}/migration`,
  /** All twins in one array, for the system map. */
  twinsAll: `${DASHBOARD_PREFIX}/twins`,
  /** All perceived objects in one array, for the system map. */
  objectsAll: `${DASHBOARD_PREFIX}/objects`,
  /** System figures: twins per MEC, average speeds overall and per MEC, message rates, objects. */
  system: `${DASHBOARD_PREFIX}/system`,
  /** Membership table: one row per MEC with its twins. */
  mecs: `${DASHBOARD_PREFIX}/mecs`,
  /** Every migration event as it happens (not retained). */
  migrations: `${DASHBOARD_PREFIX}/migrations`,
} as const;

/** Dashboard topics that are not per twin; the Grafana dashboards subscribe to these. */
export const SYSTEM_DASHBOARD_TOPICS = [
  dashboardTopics.twinsAll,
  dashboardTopics.objectsAll,
  dashboardTopics.system,
  dashboardTopics.mecs,
  dashboardTopics.migrations,
] as const;

/** Whether an MQTT topic filter (`+` one level, `#` the rest) matches a topic name. */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split("/");
  const topicLevels = topic.split("/");
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index];
    if (level === "#") return true;
    if (index >= topicLevels.length) return false;
    if (level !== "+" && level !== topicLevels[index]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
