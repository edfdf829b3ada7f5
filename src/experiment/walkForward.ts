/**
 * Walk-forward forecasts of one feature set with an expanding window (docs/experiment.md):
 *
 *   test rows t = trainCount … n − 1; the forecast of row t uses the model fitted (section 6) on rows
 *   0 … s − 1 with s = trainCount + K·floor((t − trainCount)/K).
 *
 * So the model is refitted every K rows, each time on every row before the block it forecasts, and
 * nothing from row t or later reaches the forecast of row t. Darts' `historical_forecasts` and
 * skforecast's `backtesting_forecaster` (refit=K, expanding window) are the same loop.
 *
 * The fit is the engine's Spark WLS on running sums (./expandingFit.ts); forecasts are the engine's
 * prediction (Spark's dot product, `predictRow`), row by row.
 */
import { predictRow } from '../engine/model/predict.js';
import type { Regularisation, WlsSolution } from '../engine/model/wls.js';
import { ExpandingFit } from './expandingFit.js';
import { forecastPrice, targetLabel, type Target } from './target.js';

/** K when none is given: refit before every forecast. */
export const DEFAULT_REFIT_EVERY = 1;

export interface WalkForwardPlan {
  /** Rows (the common rows of every set). */
  n: number;
  /** floor(n · trainRatio): rows before the first forecast. */
  trainCount: number;
  /** K: refit every K test rows. */
  refitEvery: number;
  target: Target;
}

export function walkForwardPlan(n: number, trainRatio: number, refitEvery: number, target: Target): WalkForwardPlan {
  return { n, trainCount: Math.floor(n * trainRatio), refitEvery, target };
}

export interface WalkForwardOptions {
  /** The feature columns' names (for the message when the fit overflows). */
  featureNames?: readonly string[];
  /** λ and α of every refit (docs/regularisation.md); omitted: the unpenalised fit. */
  regularisation?: Regularisation;
  /** Called after each fit with the window end s (rows 0 … s − 1) and the solution. */
  onRefit?: (windowEnd: number, solution: WlsSolution) => void;
}

/** Price forecasts for the test rows (length n − trainCount). */
export function walkForward(
  features: Float64Array[],
  price: Float64Array,
  nextPrice: Float64Array,
  plan: WalkForwardPlan,
  options: WalkForwardOptions = {},
): Float64Array {
  const { n, trainCount, refitEvery, target } = plan;
  const { featureNames, onRefit, regularisation } = options;
  const label = targetLabel(target, price, nextPrice);
  const fit = new ExpandingFit(features, label, featureNames, regularisation);
  const forecasts = new Float64Array(n - trainCount);
  for (let s = trainCount; s < n; s += refitEvery) {
    fit.extendTo(s);
    const model = fit.refit();
    if (onRefit) onRefit(s, model.solution());
    const end = Math.min(s + refitEvery, n);
    for (let t = s; t < end; t++) forecasts[t - trainCount] = forecastPrice(target, predictRow(model.coefficients, model.intercept, features, t), price[t]);
  }
  return forecasts;
}
