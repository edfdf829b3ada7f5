/**
 * Deterministic pseudo-random numbers in [0, 1) for test input only: a 32-bit linear congruential
 * generator (Numerical Recipes' constants), the same sequence for the same seed everywhere.
 */
export function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
