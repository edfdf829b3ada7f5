/**
 * How good a set's forecasts are over the test rows (docs/experiment.md), e = forecast − next_price:
 *
 *   rmse = √mean(e²);  mae = mean|e|;  mape = mean(|e| / |next_price|);
 *   r2 = 1 − Σe² / Σ(next_price − ȳ)², ȳ the test rows' mean next_price;
 *   directionalAccuracy = over test rows whose next_price ≠ price, the share where
 *     sign(forecast − price) = sign(next_price − price) (predicting no change is never right, so
 *     persistence scores 0); NaN when the price never moves;
 *   skill = 1 − mse / mse_persistence (> 0: better than tomorrow = today);
 *   dm: Diebold–Mariano against persistence (./dieboldMariano.ts); null for persistence itself.
 */
import { dieboldMariano, type DieboldMariano } from './dieboldMariano.js';

export interface ForecastMetrics {
  rmse: number;
  mae: number;
  mape: number;
  r2: number;
  directionalAccuracy: number;
  skill: number;
  dm: DieboldMariano | null;
}

/** Errors forecast − actual. */
export function forecastErrors(forecast: Float64Array, actual: Float64Array): Float64Array {
  const e = new Float64Array(forecast.length);
  for (let t = 0; t < e.length; t++) e[t] = forecast[t] - actual[t];
  return e;
}

/**
 * @param forecast the set's forecasts of next_price over the test rows
 * @param actual next_price over the test rows
 * @param price price (today's) over the test rows
 * @param baselineErrors persistence's errors, or null when `forecast` is persistence
 * @param horizon rows between origin and target: the DM test's autocovariance lags (./dieboldMariano.ts)
 */
export function forecastMetrics(
  forecast: Float64Array,
  actual: Float64Array,
  price: Float64Array,
  baselineErrors: Float64Array | null,
  horizon = 1,
): ForecastMetrics {
  const T = forecast.length;
  const e = forecastErrors(forecast, actual);
  let sumSquares = 0;
  let sumAbs = 0;
  let sumRelative = 0;
  let sumActual = 0;
  let moved = 0;
  let rightDirection = 0;
  for (let t = 0; t < T; t++) {
    sumSquares += e[t] * e[t];
    sumAbs += Math.abs(e[t]);
    sumRelative += Math.abs(e[t]) / Math.abs(actual[t]);
    sumActual += actual[t];
    if (actual[t] !== price[t]) {
      moved++;
      if (Math.sign(forecast[t] - price[t]) === Math.sign(actual[t] - price[t])) rightDirection++;
    }
  }
  const meanActual = sumActual / T;
  let total = 0;
  for (let t = 0; t < T; t++) total += (actual[t] - meanActual) * (actual[t] - meanActual);
  const mse = sumSquares / T;
  let baselineMse = mse;
  if (baselineErrors !== null) {
    let s = 0;
    for (let t = 0; t < T; t++) s += baselineErrors[t] * baselineErrors[t];
    baselineMse = s / T;
  }
  return {
    rmse: Math.sqrt(mse),
    mae: sumAbs / T,
    mape: sumRelative / T,
    r2: 1 - sumSquares / total,
    directionalAccuracy: moved === 0 ? NaN : rightDirection / moved,
    skill: 1 - mse / baselineMse,
    dm: baselineErrors === null ? null : dieboldMariano(e, baselineErrors, horizon),
  };
}
