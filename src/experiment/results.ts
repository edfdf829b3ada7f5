/**
 * What an experiment found, as plain data: results.json's content (the settings that reproduce it,
 * the rows it was scored on, and per set its features and metrics; persistence first, then the sets
 * in the order given), and the ranking and verdicts the table and the report show.
 */
import type { ForecastMetrics } from './metrics.js';
import type { ScreeningResult } from './screening/screen.js';
import type { SelectionPath, SelectionStep } from './selection.js';
import type { HorizonResult } from './horizons.js';
import type { Target } from './target.js';
import type { PanelSetResult } from './panelStatistics.js';
import type { SkippedAsset } from '../engine/panel/assets.js';

/** p-values at or above this leave a set "no better than tomorrow = today". */
export const SIGNIFICANCE_LEVEL = 0.05;

export interface SetResult {
  name: string;
  /** The normalised feature items in spec order ([] for persistence). */
  features: string[];
  /** λ and α of its fits, when penalised (docs/regularisation.md#in-experiment); absent: unpenalised. */
  regParam?: number;
  elasticNet?: number;
  metrics: ForecastMetrics;
}

export interface ExperimentResults {
  tool: 'pricecast';
  command: 'experiment';
  input: { file: string; sha256: string; rowsRead: number };
  trainRatio: number;
  refitEvery: number;
  target: Target;
  window: 'expanding';
  baseline: 'persistence';
  /** Common rows (every feature of every set and next_price present). */
  rows: number;
  trainRows: number;
  testRows: number;
  /** YYYY-MM-DD of the first and last test row. */
  firstTestDate: string;
  lastTestDate: string;
  sets: SetResult[];
  /** SPA, StepM and the model confidence set over the sets' squared errors (docs/screening.md#output). */
  screening?: ScreeningResult;
  /** Forward selection's path (docs/screening.md#forward-selection): the pool item each step added and its inner MSE. */
  selection?: SelectionStep[];
  /** Where the selection started, and the inner walk-forward it scored on. */
  selectionStart?: Omit<SelectionPath, 'steps'>;
  /** `--horizon`/`--level` (docs/forecast.md#experiment-at-every-horizon): every horizon scored, with interval coverage. */
  horizons?: HorizonResult[];
  /** `--calibration-window W` of the intervals, when given. */
  calibrationWindow?: number;
  /** The built-in sets left marketCap out: the layout has none (docs/input.md#no-market-cap). */
  withoutMarketCap?: true;
}

/** One series' results: the rows it was scored on, every set's metrics, and what the settings added. */
export interface SeriesScore {
  rows: number;
  trainRows: number;
  testRows: number;
  firstTestDate: string;
  lastTestDate: string;
  sets: SetResult[];
  screening?: ScreeningResult;
  horizons?: HorizonResult[];
  selection?: SelectionStep[];
  selectionStart?: Omit<SelectionPath, 'steps'>;
}

/** One asset of a panel: what a file holding only its rows would have given (rows, sets, and the rest). */
export interface AssetResult extends SeriesScore {
  asset: string;
}

/** results.json of a panel (docs/experiment.md#panels). */
export interface PanelResults {
  tool: 'pricecast';
  command: 'experiment';
  input: { file: string; sha256: string; rowsRead: number; assetColumn: string | null };
  trainRatio: number;
  refitEvery: number;
  target: Target;
  window: 'expanding';
  baseline: 'persistence';
  calibrationWindow?: number;
  withoutMarketCap?: true;
  /** The assets scored, in name order. */
  assets: AssetResult[];
  /** The assets left out, each with the reason. */
  skipped: SkippedAsset[];
  panel: {
    /** Assets left out of the panel test (persistence mse 0). */
    leftOut: string[];
    sets: PanelSetResult[];
    /** `--horizon`: the panel statistics at each horizon 1 … H. */
    horizons?: { horizon: number; leftOut: string[]; sets: PanelSetResult[] }[];
    /** The screening on the panel's date-mean scaled losses (docs/experiment.md#panels). */
    screening?: ScreeningResult;
  };
}

/** Best first: by skill (= by mse), persistence included; a set without a skill (NaN) last. */
export function rankSets(sets: readonly SetResult[]): SetResult[] {
  const key = (s: SetResult) => (Number.isNaN(s.metrics.skill) ? -Infinity : s.metrics.skill);
  return [...sets].sort((a, b) => key(b) - key(a));
}

/** The plain-words reading of a set's skill and DM p-value. */
export function verdict(set: SetResult): string {
  const { dm, skill } = set.metrics;
  if (dm === null) return 'baseline: tomorrow = today';
  if (!(dm.pValue < SIGNIFICANCE_LEVEL)) return 'no better than tomorrow = today';
  return skill > 0 ? 'better than tomorrow = today' : 'worse than tomorrow = today';
}
