/** A small seeded random source, so a simulation run is repeatable (tests, benchmarks, traces). */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normally distributed, mean 0, standard deviation `sigma`. */
  gaussian(sigma: number): number;
  between(min: number, max: number): number;
}

/** mulberry32: fast, 32-bit state, good enough for noise and choices (not for secrets). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    gaussian(sigma) {
      // Box-Muller; 1 - next() keeps the logarithm away from 0.
      const u = 1 - next();
      const v = next();
      return sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    between(min, max) {
      return min + (max - min) * next();
    },
  };
}
