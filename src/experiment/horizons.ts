/**
 * `experiment --horizon H --level L` (docs/forecast.md#experiment-at-every-horizon): the walk-forward of
 * every set and of persistence at each horizon h = 1 … H, on the common rows (every feature of every set
 * finite) whose price h rows later exists, n_h of them:
 *
 *   trainCount = floor(n_h · r); test origins t = trainCount … n_h − 1, each from the model fitted on
 *   rows 0 … s − h, s = trainCount + K·floor((t − trainCount)/K); y = the price h rows later.
 *
 * Scored by the experiment's metrics with the DM test at horizon h, mase and rmsse, and per level the
 * conformal intervals replayed over the test origins (src/forecast/conformal.ts). At h = 1 these are
 * exactly the experiment's rows, refits and forecasts.
 */
import { InputError } from '../engine/errors.js';
import { formatFeatureItem } from '../engine/features/spec.js';
import type { DailyColumns } from '../engine/types.js';
import { intervalHistory, scoresNeeded, type IntervalRecord } from '../forecast/conformal.js';
import { walkForwardAtHorizon } from '../forecast/horizon.js';
import { horizonLabel, priceAhead, usableRows } from '../forecast/rows.js';
import { ExpandingFit } from './expandingFit.js';
import { forecastErrors, forecastMetrics, type ForecastMetrics } from './metrics.js';
import { scaledErrors } from './scaledErrors.js';
import { PERSISTENCE, type FeatureSet } from './sets.js';
import type { Target } from './target.js';

export interface HorizonSetResult {
  name: string;
  features: string[];
  metrics: ForecastMetrics & { mase: number; rmsse: number };
  intervals?: IntervalRecord[];
}

export interface HorizonResult {
  horizon: number;
  rows: number;
  trainRows: number;
  testRows: number;
  sets: HorizonSetResult[];
}

export interface HorizonOptions {
  horizon: number;
  levels: readonly number[];
  calibrationWindow?: number;
  trainRatio: number;
  refitEvery: number;
  target: Target;
  /** For messages. */
  input: string;
}

/** One horizon's forecasts over its test origins (what its metrics were computed from). */
export interface HorizonForecasts {
  horizon: number;
  /** Origin days, ascending. */
  day: Int32Array;
  /** The price h rows after each origin. */
  actual: Float64Array;
  persistence: Float64Array;
  /** Per set, in the given order. */
  sets: { name: string; forecasts: Float64Array }[];
}

/** @param keep receives each horizon's forecasts (the panel statistics pool them by origin date) */
export function experimentHorizons(
  series: DailyColumns,
  sets: readonly FeatureSet[],
  options: HorizonOptions,
  keep?: (forecasts: HorizonForecasts) => void,
): HorizonResult[] {
  const unique = new Map(sets.flatMap((set) => set.items).map((item) => [formatFeatureItem(item), item]));
  const keys = [...unique.keys()];
  const rows = usableRows(series, [...unique.values()]);
  const { levels, calibrationWindow: W, trainRatio, refitEvery, target } = options;
  const results: HorizonResult[] = [];
  for (let h = 1; h <= options.horizon; h++) {
    const aheadAll = priceAhead(rows, h);
    const kept: number[] = [];
    aheadAll.forEach((y, i) => Number.isFinite(y) && kept.push(i));
    const pick = (column: Float64Array) => Float64Array.from(kept, (i) => column[i]);
    const price = pick(rows.price);
    const ahead = pick(aheadAll);
    const n = kept.length;
    const trainCount = Math.floor(n * trainRatio);
    const label = horizonLabel(target, price, ahead);
    const actual = ahead.subarray(trainCount);
    const originPrice = price.subarray(trainCount);
    const persistence = originPrice.slice();
    const baseline = forecastErrors(persistence, actual);
    const score = (forecast: Float64Array, errors: Float64Array | null) => {
      const metrics = forecastMetrics(forecast, actual, originPrice, errors, h);
      const intervals = levels.map((level) => intervalHistory(forecast, actual, originPrice, h, level, W));
      for (const interval of intervals) {
        if (interval.origins === 0) {
          throw new InputError(
            options.input,
            0,
            null,
            null,
            `a history long enough for a ${interval.level} interval at horizon ${h}: ${scoresNeeded(interval.level)} earlier test ` +
              `scores are needed, ${Math.max(0, Math.min(n - trainCount - h, W ?? Infinity))} are available at the last test origin`,
          );
        }
      }
      return { metrics: { ...metrics, ...scaledErrors(metrics.mae, metrics.rmse, price, trainCount) }, ...(levels.length ? { intervals } : {}) };
    };
    const setResults: HorizonSetResult[] = [{ name: PERSISTENCE, features: [], ...score(persistence, null) }];
    const setForecasts: HorizonForecasts['sets'] = [];
    for (const set of sets) {
      const features = set.items.map((item) => pick(rows.features[keys.indexOf(formatFeatureItem(item))]));
      const fit = new ExpandingFit(features, label, set.items.map((item) => item.column), set.regularisation);
      const forecast = walkForwardAtHorizon(fit, features, price, n, trainCount, { horizon: h, trainRatio, refitEvery, target });
      setResults.push({ name: set.name, features: set.items.map(formatFeatureItem), ...score(forecast, baseline) });
      setForecasts.push({ name: set.name, forecasts: forecast });
    }
    keep?.({ horizon: h, day: Int32Array.from(kept.slice(trainCount), (i) => rows.day[i]), actual, persistence, sets: setForecasts });
    results.push({ horizon: h, rows: n, trainRows: trainCount, testRows: n - trainCount, sets: setResults });
  }
  return results;
}
