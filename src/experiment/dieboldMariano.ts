/**
 * Diebold–Mariano test of equal accuracy against a baseline (SPEC.md section 10): squared-error
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
 * @example dieboldMariano(Float64Array.of(1, 2, 1, 2), Float64Array.of(2, 2, 2, 2))
 *   // d = [−3, 0, −3, 0], d̄ = −1.5, γ0 = 2.25, statistic = −1.5/√(2.25/4)·√(3/4) = −√3
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';

export interface DieboldMariano {
  statistic: number;
  pValue: number;
}

export function dieboldMariano(errors: Float64Array, baselineErrors: Float64Array): DieboldMariano {
  const T = errors.length;
  if (baselineErrors.length !== T) throw new RangeError(`${T} errors but ${baselineErrors.length} baseline errors`);
  const d = new Float64Array(T);
  let sum = 0;
  for (let t = 0; t < T; t++) {
    d[t] = errors[t] * errors[t] - baselineErrors[t] * baselineErrors[t];
    sum += d[t];
  }
  const mean = sum / T;
  let squares = 0;
  for (let t = 0; t < T; t++) squares += (d[t] - mean) * (d[t] - mean);
  const gamma0 = squares / T;
  if (T < 2 || !(gamma0 > 0)) return { statistic: NaN, pValue: NaN };
  const statistic = (mean / Math.sqrt(gamma0 / T)) * Math.sqrt((T - 1) / T);
  // 2·P(t > |s|) = 2·cdf(−|s|): the lower tail keeps its precision where 1 − cdf(|s|) would round to 0.
  const pValue = 2 * tCdf(-Math.abs(statistic), T - 1);
  return { statistic, pValue };
}
