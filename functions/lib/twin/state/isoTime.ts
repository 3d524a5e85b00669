let lastIsoMs = Number.NaN;
let lastIso = "";

/** ISO 8601 of a time; remembers the last one, as a whole batch of events shares its receipt time. */
export function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}
