/**
 * Greedy forward selection of features that never looks at the test rows (docs/screening.md#forward-selection).
 *
 * On the experiment's common rows (which include every pool item and the start set), only the first
 * trainCount rows are used: they are split again, an inner walk-forward (same refit rule and target,
 * inner trainCount = floor(0.7 · trainCount)) scores each candidate set on the rest of them. From the start
 * set, each step adds the pool item whose set has the lowest inner MSE, if that lowers the current inner
 * MSE, until the set holds maxFeatures features or nothing helps. Every step's set is then scored on the
 * test rows like any other set.
 */
import { InputError, UsageError } from '../engine/errors.js';
import { formatFeatureItem, type FeatureItem } from '../engine/features/spec.js';
import type { CommonRows } from './rows.js';
import type { FeatureSet } from './sets.js';
import { walkForward, walkForwardPlan, type WalkForwardPlan } from './walkForward.js';

export const INNER_TRAIN_RATIO = 0.7;
export const DEFAULT_MAX_FEATURES = 10;
export const START_SET_NAME = 'start';
/** Step i's set is named `forward<i>` (1-based). */
export const STEP_SET_PREFIX = 'forward';

export interface SelectionRequest {
  start: FeatureItem[];
  pool: FeatureItem[];
  maxFeatures: number;
  /** Called after each candidate's inner walk-forward (for progress on a terminal). */
  onProgress?: (progress: { step: number; tried: number; of: number }) => void;
}

export interface SelectionStep {
  /** The pool item added (normalised spec text). */
  added: string;
  /** The inner MSE of the set after adding it. */
  innerMse: number;
  /** The step's set name in the results (forward1, forward2, …). */
  set: string;
}

export interface SelectionPath {
  /** The start set's name, features and inner MSE. */
  set: string;
  features: string[];
  innerMse: number;
  innerTrainRows: number;
  innerTestRows: number;
  steps: SelectionStep[];
}

/** The pool and the start set, checked: no item twice, no pool item already in the start set. */
export function checkSelectionRequest(start: readonly FeatureItem[], pool: readonly FeatureItem[], maxFeatures: number): void {
  const startKeys = new Set(start.map(formatFeatureItem));
  const seen = new Set<string>();
  for (const item of pool) {
    const key = formatFeatureItem(item);
    if (startKeys.has(key)) throw new UsageError(`--pool: ${key} is also in the start set (--start); a pool item must be a feature the start set lacks`);
    if (seen.has(key)) throw new UsageError(`--pool: ${key} is given twice`);
    seen.add(key);
  }
  if (pool.length === 0) throw new UsageError('--pool: expected at least one feature to choose from');
  if (maxFeatures <= start.length) {
    throw new UsageError(`--max-features: expected more than the start set's ${start.length} feature${start.length === 1 ? '' : 's'}, got ${maxFeatures}`);
  }
}

/**
 * The set the selection works on: start items then pool items, so the common rows include every pool item
 * (the selection and the final scoring share one split) and each column is computed once. Checks the request.
 */
export function selectionSet({ start, pool, maxFeatures }: SelectionRequest): FeatureSet {
  checkSelectionRequest(start, pool, maxFeatures);
  return { name: START_SET_NAME, spec: [...start, ...pool].map(formatFeatureItem).join(','), items: [...start, ...pool] };
}

/**
 * Runs the selection on `columns` (the selection set's columns on the common rows: start items, then pool
 * items) and returns the path and the sets to score (the start set, then one set per step).
 */
export function forwardSelection(
  file: string,
  rows: CommonRows,
  columns: readonly Float64Array[],
  plan: WalkForwardPlan,
  request: SelectionRequest,
): { path: SelectionPath; sets: FeatureSet[]; features: Float64Array[][] } {
  const { start, pool, maxFeatures } = request;
  const inner = walkForwardPlan(plan.trainCount, INNER_TRAIN_RATIO, plan.refitEvery, plan.target);
  if (inner.trainCount < maxFeatures + 2 || inner.n - inner.trainCount < 1) {
    throw new InputError(
      file,
      0,
      null,
      null,
      `enough training rows for forward selection's inner walk-forward: ${maxFeatures + 2} inner training rows (--max-features ${maxFeatures}) ` +
        `and 1 inner test row; the ${plan.trainCount} training rows give ${inner.trainCount} and ${inner.n - inner.trainCount}`,
    );
  }
  const training = (column: Float64Array) => column.subarray(0, plan.trainCount);
  const price = training(rows.price);
  const nextPrice = training(rows.nextPrice);
  const scored = nextPrice.subarray(inner.trainCount);
  const innerMse = (chosen: readonly number[]): number => {
    const forecasts = walkForward(chosen.map((c) => training(columns[c])), price, nextPrice, inner);
    let sum = 0;
    for (let t = 0; t < forecasts.length; t++) sum += (forecasts[t] - scored[t]) ** 2;
    return sum / forecasts.length;
  };

  let chosen = start.map((_, i) => i);
  let current = innerMse(chosen);
  const startEntry = { set: START_SET_NAME, features: start.map(formatFeatureItem), innerMse: current };
  const remaining = new Set(pool.map((_, p) => start.length + p));
  const steps: SelectionStep[] = [];
  const stepColumns: number[][] = [];
  while (chosen.length < maxFeatures && remaining.size > 0) {
    let best = -1;
    let bestMse = Infinity;
    let tried = 0;
    for (const c of remaining) {
      const mse = innerMse([...chosen, c]);
      if (mse < bestMse) {
        bestMse = mse;
        best = c;
      }
      request.onProgress?.({ step: steps.length + 1, tried: ++tried, of: remaining.size });
    }
    if (!(bestMse < current)) break;
    chosen = [...chosen, best];
    current = bestMse;
    remaining.delete(best);
    steps.push({ added: formatFeatureItem(pool[best - start.length]), innerMse: bestMse, set: `${STEP_SET_PREFIX}${steps.length + 1}` });
    stepColumns.push(chosen);
  }
  const itemOf = (c: number) => (c < start.length ? start[c] : pool[c - start.length]);
  const setOf = (name: string, cols: number[]): FeatureSet => {
    const items = cols.map(itemOf);
    return { name, spec: items.map(formatFeatureItem).join(','), items };
  };
  return {
    path: { ...startEntry, innerTrainRows: inner.trainCount, innerTestRows: plan.trainCount - inner.trainCount, steps },
    sets: [setOf(START_SET_NAME, start.map((_, i) => i)), ...steps.map((step, i) => setOf(step.set, stepColumns[i]))],
    features: [start.map((_, i) => columns[i]), ...stepColumns.map((cols) => cols.map((c) => columns[c]))],
  };
}
