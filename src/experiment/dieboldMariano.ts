/**
 * Diebold–Mariano test of equal accuracy against a baseline (docs/experiment.md): squared-error
 * loss, horizon 1, with Harvey, Leybourne and Newbold's small-sample correction (1997) and a Student
 * t reference distribution:
 *
 *   d_t = e_t² − b_t²  (e the set's errors, b the baseline's), T = number of test rows,
 *   d̄ = mean(d),  γ0 = mean((d − d̄)²)  (at horizon 1 no autocovariances enter),
 *   statistic = d̄ / √(γ0/T) · √((T − 1)/T)     (HLN: √((T + 1 − 2h + h(h − 1)/T)/T) at h = 1),
 *   pValue = 2 · P(t_{T−1} > |statistic|).
 *
 * A negative statistic means the set's squared errors are smaller than the baseline's; the p-value
 * says how surprising a mean difference that large would be if both forecasts were equally good.
 * When d is constant (γ0 = 0: e.g. the baseline against itself) there is no test: both are NaN.
 *
 * At horizon h > 1 (forecasts h rows ahead overlap, so d is autocorrelated up to lag h − 1) the
 * variance takes the autocovariances γ_k = (1/T)·Σ_{t=k}^{T−1} (d[t] − d̄)(d[t−k] − d̄):
 * V = γ0 + 2·Σ_{k=1}^{h−1} γ_k (V ≤ 0: V = γ0, and `varianceFallback` says so), and the statistic is
 * d̄ / √(V/T) · √((T + 1 − 2h + h(h − 1)/T)/T) (docs/forecast.md#track-record). At h = 1 both reduce
 * to the lines above, bit for bit.
 *
 * @example dieboldMariano(Float64Array.of(1, 2, 1, 2), Float64Array.of(2, 2, 2, 2))
 *   // d = [−3, 0, −3, 0], d̄ = −1.5, γ0 = 2.25, statistic = −1.5/√(2.25/4)·√(3/4) = −√3
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface DieboldMariano {
  statistic: number;
  pValue: number;
  /** Horizon > 1 only: the autocovariance sum was not positive, so γ0 alone was used. */
  varianceFallback?: true;
}

export function dieboldMariano(errors: Float64Array, baselineErrors: Float64Array, horizon = 1): DieboldMariano {
  const T = errors.length;
  if (baselineErrors.length !== T) throw new RangeError(`${T} errors but ${baselineErrors.length} baseline errors`);
  const d = new Float64Array(T);
  for (let t = 0; t < T; t++) d[t] = errors[t] * errors[t] - baselineErrors[t] * baselineErrors[t];
  return dieboldMarianoOfDifferences(d, horizon);
}

/**
 * The same test on loss differentials d already formed (the panel's date means of scaled differentials,
 * ./panelStatistics.ts), in date order.
 */
export function dieboldMarianoOfDifferences(d: Float64Array, horizon = 1): DieboldMariano {
  const T = d.length;
  let sum = 0;
  for (let t = 0; t < T; t++) sum += d[t];
  const mean = sum / T;
  let squares = 0;
  for (let t = 0; t < T; t++) squares += (d[t] - mean) * (d[t] - mean);
  const gamma0 = squares / T;
  if (T < 2 || !(gamma0 > 0)) return { statistic: NaN, pValue: NaN };
  if (horizon > 1) return dieboldMarianoAtHorizon(d, mean, gamma0, horizon);
  const statistic = (mean / Math.sqrt(gamma0 / T)) * Math.sqrt((T - 1) / T);
  // 2·P(t > |s|) = 2·cdf(−|s|): the lower tail keeps its precision where 1 − cdf(|s|) would round to 0.
  const pValue = 2 * tCdf(-Math.abs(statistic), T - 1);
  return { statistic, pValue };
}

function dieboldMarianoAtHorizon(d: Float64Array, mean: number, gamma0: number, h: number): DieboldMariano {
  const T = d.length;
  let sumGamma = 0;
  for (let k = 1; k < h && k < T; k++) {
    let s = 0;
    for (let t = k; t < T; t++) s += (d[t] - mean) * (d[t - k] - mean);
    sumGamma += s / T;
  }
  let variance = gamma0 + 2 * sumGamma;
  const fallback = !(variance > 0);
  if (fallback) variance = gamma0;
  const statistic = (mean / Math.sqrt(variance / T)) * Math.sqrt((T + 1 - 2 * h + (h * (h - 1)) / T) / T);
  const pValue = 2 * tCdf(-Math.abs(statistic), T - 1);
  return fallback ? { statistic, pValue, varianceFallback: true } : { statistic, pValue };
}
