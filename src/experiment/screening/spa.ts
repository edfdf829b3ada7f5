/**
 * Hansen's test of superior predictive ability against a benchmark (docs/screening.md#spa), as arch 8.0.0's
 * `SPA` computes it: loss differences benchmark − candidate, the Politis–Romano variance only to decide which
 * candidates are recentred in the consistent p-value, a statistic that is the largest mean difference (not
 * studentised), and p-values from the shared bootstrap indices.
 */
import { bootstrapMeans, mean } from './bootstrapMeans.js';
import type { BootstrapIndices } from './indices.js';

export interface SpaResult {
  /** max_k of the mean loss difference (may be negative: every candidate worse than the benchmark). */
  statistic: number;
  pvalues: { lower: number; consistent: number; upper: number };
  /** Per candidate: mean(benchmark loss − candidate loss); above 0 beats the benchmark. */
  meanLossDiff: number[];
  /** Per candidate: close enough to the benchmark to count in the consistent p-value's null. */
  valid: boolean[];
}

export interface SpaComputation {
  result: SpaResult;
  /** B × K recentred bootstrap means under the consistent null (StepM uses these). */
  consistentDraws: Float64Array;
}

export function spa(benchmark: Float64Array, candidates: readonly Float64Array[], indices: BootstrapIndices): SpaComputation {
  const T = benchmark.length;
  const K = candidates.length;
  const p = 1.0 / indices.blockSize;
  const diffs = candidates.map((losses) => {
    const d = new Float64Array(T);
    for (let t = 0; t < T; t++) d[t] = benchmark[t] - losses[t];
    return d;
  });
  const meanLossDiff = diffs.map(mean);
  const threshold = 2 * Math.log(Math.log(T));
  const valid = diffs.map((d, k) => {
    const variance = politisRomanoVariance(d, meanLossDiff[k], p);
    return meanLossDiff[k] >= -1.0 * Math.sqrt((variance / T) * threshold);
  });
  const lower = meanLossDiff.map((m) => (m < 0 ? 0 : m));
  const consistent = meanLossDiff.map((m, k) => (valid[k] ? m : 0));
  const statistic = Math.max(...meanLossDiff);

  const draws = bootstrapMeans(diffs, indices);
  const consistentDraws = new Float64Array(draws.length);
  const exceed = { lower: 0, consistent: 0, upper: 0 };
  for (let r = 0; r < indices.reps; r++) {
    let maxLower = -Infinity;
    let maxConsistent = -Infinity;
    let maxUpper = -Infinity;
    for (let k = 0; k < K; k++) {
      const m = draws[r * K + k];
      const zl = m - lower[k];
      const zc = m - consistent[k];
      const zu = m - meanLossDiff[k];
      consistentDraws[r * K + k] = zc;
      if (zl > maxLower) maxLower = zl;
      if (zc > maxConsistent) maxConsistent = zc;
      if (zu > maxUpper) maxUpper = zu;
    }
    if (maxLower > statistic) exceed.lower++;
    if (maxConsistent > statistic) exceed.consistent++;
    if (maxUpper > statistic) exceed.upper++;
  }
  const B = indices.reps;
  return {
    result: {
      statistic,
      pvalues: { lower: exceed.lower / B, consistent: exceed.consistent / B, upper: exceed.upper / B },
      meanLossDiff,
      valid,
    },
    consistentDraws,
  };
}

/**
 * ω² = Σ dm²/T + Σ_{i=1}^{T−1} 2κ_i Σ_{t<T−i} dm[t]·dm[t+i]/T, κ_i = (1 − i/T)(1 − p)^i + (i/T)(1 − p)^(T−i),
 * dm = d − mean(d): the stationary bootstrap's long-run variance (docs/screening.md#spa).
 */
function politisRomanoVariance(d: Float64Array, dbar: number, p: number): number {
  const T = d.length;
  const dm = new Float64Array(T);
  for (let t = 0; t < T; t++) dm[t] = d[t] - dbar;
  let squares = 0;
  for (let t = 0; t < T; t++) squares += dm[t] ** 2;
  let variance = squares / T;
  for (let i = 1; i < T; i++) {
    const kappa = (1.0 - i / T) * (1 - p) ** i + (i / T) * (1 - p) ** (T - i);
    let products = 0;
    for (let t = 0; t < T - i; t++) products += dm[t] * dm[t + i];
    variance += (2 * kappa * products) / T;
  }
  return variance;
}
