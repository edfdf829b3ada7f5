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
import { ExpandingSums, SetRefit } from './expandingFit.js';
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
  const { onRefit, ...set } = options;
  return walkForwardSets([{ features, ...set }], price, nextPrice, plan, onRefit)[0];
}

/** One set of a series' walk-forwards. */
export interface WalkForwardSet {
  features: Float64Array[];
  featureNames?: readonly string[];
  regularisation?: Regularisation;
}

/**
 * Each set's price forecasts for the test rows (`walkForward` of each), with the sums of the columns
 * the sets share formed once (./expandingFit.ts `ExpandingSums`: the same numbers bit for bit).
 * @param onRefit called for the first set's refits
 */
export function walkForwardSets(
  sets: readonly WalkForwardSet[],
  price: Float64Array,
  nextPrice: Float64Array,
  plan: WalkForwardPlan,
  onRefit?: WalkForwardOptions['onRefit'],
  onShare?: (share: number) => void,
): Float64Array[] {
  const { n, trainCount, refitEvery, target } = plan;
  const label = targetLabel(target, price, nextPrice);
  const { columns, layouts } = distinctColumns(sets.map((set) => set.features));
  const sums = new ExpandingSums(columns, label, layouts);
  const fits = sets.map((set, i) => new SetRefit(sums, i, set.features.length, set.featureNames, set.regularisation));
  const forecasts = sets.map(() => new Float64Array(n - trainCount));
  // The share of the test rows done, told about a hundred times over the walk (progress only).
  const shareStep = Math.max(refitEvery, Math.ceil((n - trainCount) / 100));
  let nextShare = trainCount + shareStep;
  for (let s = trainCount; s < n; s += refitEvery) {
    sums.extendTo(s);
    const end = Math.min(s + refitEvery, n);
    for (let i = 0; i < sets.length; i++) {
      const model = fits[i].refit();
      if (i === 0 && onRefit) onRefit(s, model.solution());
      const { features } = sets[i];
      const out = forecasts[i];
      for (let t = s; t < end; t++) out[t - trainCount] = forecastPrice(target, predictRow(model.coefficients, model.intercept, features, t), price[t]);
    }
    if (onShare !== undefined && end >= nextShare) {
      onShare((end - trainCount) / (n - trainCount));
      nextShare = end + shareStep;
    }
  }
  return forecasts;
}

/**
 * The distinct columns of some sets' feature lists, and each set's columns as indices into them (a column
 * object shared by sets is the same feature: ./rows.ts), so that each is summed or sent once.
 */
export function distinctColumns(featureLists: readonly (readonly Float64Array[])[]): { columns: Float64Array[]; layouts: number[][] } {
  const columns: Float64Array[] = [];
  const indexOf = new Map<Float64Array, number>();
  const layouts = featureLists.map((features) =>
    features.map((column) => {
      let c = indexOf.get(column);
      if (c === undefined) {
        c = columns.length;
        indexOf.set(column, c);
        columns.push(column);
      }
      return c;
    }),
  );
  return { columns, layouts };
}
