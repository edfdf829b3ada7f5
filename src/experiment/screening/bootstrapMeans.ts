/**
 * Column means of every bootstrap replication, B × K, replication-major.
 *
 * A stationary-bootstrap replication is a handful of runs of consecutive days (a new run starts where a
 * fresh day is drawn or the index wraps from T−1 to 0), so each run's sum is a difference of prefix sums:
 * O(runs · K) per replication instead of O(T · K). Sums agree with a day-by-day sum to rounding (~1e-15
 * relative), which never moves a p-value unless a bootstrap maximum ties the statistic to that precision.
 */
import type { BootstrapIndices } from './indices.js';

export function bootstrapMeans(columns: readonly Float64Array[], indices: BootstrapIndices): Float64Array {
  const K = columns.length;
  const T = indices.days;
  const prefix = new Float64Array((T + 1) * K);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) prefix[(t + 1) * K + k] = prefix[t * K + k] + columns[k][t];
  }
  const means = new Float64Array(indices.reps * K);
  const I = indices.values;
  for (let r = 0; r < indices.reps; r++) {
    const row = r * K;
    const base = r * T;
    let start = I[base];
    let previous = start;
    for (let t = 1; t <= T; t++) {
      const day = t < T ? I[base + t] : -1;
      if (day === previous + 1) {
        previous = day;
        continue;
      }
      const a = start * K;
      const b = (previous + 1) * K;
      for (let k = 0; k < K; k++) means[row + k] += prefix[b + k] - prefix[a + k];
      start = day;
      previous = day;
    }
    for (let k = 0; k < K; k++) means[row + k] /= T;
  }
  return means;
}

/** Σ_t x[t] / T, summed in day order (as numpy's mean over the rows of a table does). */
export function mean(x: Float64Array): number {
  let sum = 0;
  for (let t = 0; t < x.length; t++) sum += x[t];
  return sum / x.length;
}
