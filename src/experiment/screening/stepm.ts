/**
 * Romano and Wolf's StepM (docs/screening.md#stepm): the candidates that beat the benchmark, controlling the
 * chance of naming even one wrongly at `size`, stepping down over the SPA's consistent bootstrap draws as
 * arch 8.0.0's `StepM` does.
 */
import type { BootstrapIndices } from './indices.js';
import type { SpaComputation } from './spa.js';

/** Indices (into the candidate list) of the candidates found better than the benchmark, ascending. */
export function stepm(computation: SpaComputation, indices: BootstrapIndices, size: number): number[] {
  const { meanLossDiff } = computation.result;
  const draws = computation.consistentDraws;
  const K = meanLossDiff.length;
  const B = indices.reps;
  const inPlay = new Array<boolean>(K).fill(true);
  let remaining = K;
  const superior: number[] = [];
  const maxima = new Float64Array(B);
  while (remaining > 0) {
    for (let r = 0; r < B; r++) {
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (inPlay[k] && draws[r * K + k] > max) max = draws[r * K + k];
      maxima[r] = max;
    }
    const critical = linearPercentile(maxima, 100.0 * (1 - size));
    const found: number[] = [];
    for (let k = 0; k < K; k++) if (inPlay[k] && meanLossDiff[k] > critical) found.push(k);
    if (found.length === 0) break;
    for (const k of found) inPlay[k] = false;
    remaining -= found.length;
    superior.push(...found);
  }
  return superior.sort((a, b) => a - b);
}

/** numpy's default percentile (method "linear"), operation for operation, so a candidate on the edge is treated alike. */
export function linearPercentile(values: Float64Array, percent: number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const virtualIndex = (n - 1) * (percent / 100);
  if (virtualIndex >= n - 1) return sorted[n - 1];
  if (virtualIndex < 0) return sorted[0];
  const below = Math.floor(virtualIndex);
  const gamma = virtualIndex - below;
  const a = sorted[below];
  const b = sorted[below + 1];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}
