/** DENM direct cause codes (ETSI TS 102 894-2 CauseCodeType) that stations commonly send. */
export const CAUSE_CODES: Readonly<Record<number, string>> = {
  1: "traffic condition",
  2: "accident",
  3: "roadworks",
  5: "impassability",
  6: "adverse weather: adhesion",
  9: "hazardous location: surface condition",
  10: "hazardous location: obstacle on the road",
  11: "hazardous location: animal on the road",
  12: "human presence on the road",
  14: "wrong-way driving",
  15: "rescue and recovery work in progress",
  17: "adverse weather: extreme weather",
  18: "adverse weather: visibility",
  19: "adverse weather: precipitation",
  20: "violence",
  26: "slow vehicle",
  27: "dangerous end of queue",
  91: "vehicle breakdown",
  92: "post crash",
  93: "human problem",
  94: "stationary vehicle",
  95: "emergency vehicle approaching",
  96: "hazardous location: dangerous curve",
  97: "collision risk",
  98: "signal violation",
  99: "dangerous situation",
};

export function causeDescription(causeCode: number): string | undefined {
  return CAUSE_CODES[causeCode];
}
