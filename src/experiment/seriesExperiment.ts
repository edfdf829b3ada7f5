/**
 * The experiment of one series (docs/experiment.md), in two halves around the walk-forwards:
 *
 *   planSeries:  common rows → the walk-forward plan → the minimum-row check → forward selection
 *   (walk-forwards: ./parallel.ts, in this thread or on workers, for one series or a panel's many)
 *   scoreSeries: persistence, metrics, screening, horizons → one series' results and forecast table
 *
 * A one-asset file and each asset of a panel go through exactly these two functions with the same
 * settings, so an asset's results in a panel are those of a file holding only its rows.
 */
import { formatDay } from '../engine/ingest/dates.js';
import type { DedupedDaily } from '../engine/ingest/days.js';
import { formatFeatureItem } from '../engine/features/spec.js';
import type { ForecastTable } from './forecastsParquet.js';
import { experimentHorizons, type HorizonForecasts } from './horizons.js';
import { forecastErrors, forecastMetrics } from './metrics.js';
import { seriesWalk, type SeriesWalk } from './parallel.js';
import { persistenceForecasts } from './persistence.js';
import type { SeriesScore, SetResult } from './results.js';
import { commonRows, type CommonRows } from './rows.js';
import { screenForecasts } from './screening/forecasts.js';
import type { ScreeningOptions } from './screening/screen.js';
import { forwardSelection, type SelectionPath, type SelectionRequest } from './selection.js';
import { assertUniqueNames, PERSISTENCE, type FeatureSet } from './sets.js';
import type { Target } from './target.js';
import { walkForwardPlan, type WalkForwardPlan } from './walkForward.js';

/**
 * Copies into views of large shared blocks: where scored series keep their forecast tables. A panel
 * keeps every asset's table to the end of the run, while each batch's columns come and go; a dozen
 * small arrays per asset would scatter across the allocator's heap between them and hold it all (the
 * 10,000-asset panel's peak, bench/RESULTS.md "Experiment refits: reusable workspace"). A block is
 * freed once no table uses it (./panel.ts moves a panel's tables into one).
 */
class Blocks<T extends Float64Array | Int32Array> {
  private block: T;
  private used = 0;

  constructor(
    private readonly make: (length: number) => T,
    private readonly size: number,
  ) {
    this.block = make(0);
  }

  copy(values: ArrayLike<number>): T {
    if (this.used + values.length > this.block.length) {
      this.block = this.make(Math.max(this.size, values.length));
      this.used = 0;
    }
    const view = this.block.subarray(this.used, this.used + values.length) as T;
    view.set(values);
    this.used += values.length;
    return view;
  }
}

/** 2^20 values a block (8 MB, 4 MB). */
const keptValues = new Blocks((length) => new Float64Array(length), 1 << 20);
const keptDays = new Blocks((length) => new Int32Array(length), 1 << 20);

/** Test rows the DM test needs (T − 1 ≥ 1 degrees of freedom). */
export const MIN_TEST_ROWS = 2;

/** The settings every series of a run shares. */
export interface SeriesSettings {
  /** The input as given, for messages. */
  input: string;
  trainRatio: number;
  refitEvery: number;
  target: Target;
  selection?: SelectionRequest;
  screen: boolean | 'auto';
  bootstrap: ScreeningOptions;
  horizon?: number;
  levels?: number[];
  calibrationWindow?: number;
}

/** A series ready for its walk-forwards. */
export interface SeriesWork {
  sorted: DedupedDaily;
  /** The sets scored (after forward selection: its start set and steps appended). */
  sets: FeatureSet[];
  rows: CommonRows;
  plan: WalkForwardPlan;
  selection: SelectionPath | null;
}

/** Either the work, or why the series has too few rows for it (the text after "expected"). */
export type SeriesPlan = { work: SeriesWork; tooFew?: undefined } | { work?: undefined; tooFew: string };

/**
 * @param sets the sets to compare
 * @param selecting forward selection's working set (./selection.ts `selectionSet`), when selecting
 */
export function planSeries(sorted: DedupedDaily, sets: readonly FeatureSet[], selecting: FeatureSet | undefined, settings: SeriesSettings): SeriesPlan {
  const rows = commonRows(sorted.columns, selecting ? [...sets, selecting] : sets);
  const n = rows.day.length;
  const plan = walkForwardPlan(n, settings.trainRatio, settings.refitEvery, settings.target);
  const widest = Math.max(settings.selection?.maxFeatures ?? 0, ...sets.map((s) => s.items.length));
  const minTrain = widest + 2;
  if (plan.trainCount < minTrain || n - plan.trainCount < MIN_TEST_ROWS) {
    return {
      tooFew:
        `enough rows for a walk-forward: ${minTrain} training rows (the widest set has ${widest} features) and ` +
        `${MIN_TEST_ROWS} test rows; ${n} rows have every feature of every set and a next price, and train ratio ` +
        `${settings.trainRatio} gives ${plan.trainCount} training and ${n - plan.trainCount} test rows` +
        (rows.scarcest === null ? '' : ` (${rows.scarcest.item} has values on ${rows.scarcest.dates} of ${rows.scarcest.of} dates)`),
    };
  }
  let scored = [...sets];
  let selection: SelectionPath | null = null;
  if (selecting) {
    const selected = forwardSelection(settings.input, rows, rows.features.pop()!, plan, settings.selection!);
    scored = [...scored, ...selected.sets];
    assertUniqueNames(scored);
    rows.features.push(...selected.features);
    selection = selected.path;
  }
  return { work: { sorted, sets: scored, rows, plan, selection } };
}

/** The series' walk-forward jobs, one per set. */
export function walkOf(work: SeriesWork): SeriesWalk {
  const featureNames = work.sets.map((set) => set.items.map((item) => item.column));
  return seriesWalk(work.rows, featureNames, work.plan, work.sets.map((set) => set.regularisation));
}

export interface ScoredSeries {
  score: SeriesScore;
  table: ForecastTable;
  /** With horizons: per horizon, the forecasts behind `score.horizons` (for the panel statistics). */
  horizonForecasts: HorizonForecasts[];
}

/** @param forecasts each set's forecasts over the test rows, in `work.sets` order */
export function scoreSeries(work: SeriesWork, forecasts: readonly Float64Array[], settings: SeriesSettings): ScoredSeries {
  const { rows, plan, sets } = work;
  const n = rows.day.length;
  const test = (column: Float64Array) => column.subarray(plan.trainCount);
  const price = test(rows.price);
  const nextPrice = test(rows.nextPrice);
  const persistence = persistenceForecasts(rows.price, plan.trainCount);
  const baselineErrors = forecastErrors(persistence, nextPrice);
  const setResults: SetResult[] = [
    { name: PERSISTENCE, features: [], metrics: forecastMetrics(persistence, nextPrice, price, null) },
    ...sets.map((set, i) => ({
      name: set.name,
      features: set.items.map(formatFeatureItem),
      ...(set.regularisation && { regParam: set.regularisation.regParam, elasticNet: set.regularisation.elasticNetParam }),
      metrics: forecastMetrics(forecasts[i], nextPrice, price, baselineErrors),
    })),
  ];
  const testDays = rows.day.subarray(plan.trainCount);
  const score: SeriesScore = {
    rows: n,
    trainRows: plan.trainCount,
    testRows: n - plan.trainCount,
    firstTestDate: formatDay(testDays[0]),
    lastTestDate: formatDay(testDays[testDays.length - 1]),
    sets: setResults,
  };
  const table: ForecastTable = {
    day: keptDays.copy(testDays),
    price: keptValues.copy(price),
    nextPrice: keptValues.copy(nextPrice),
    persistence: keptValues.copy(persistence),
    sets: sets.map((set, i) => ({ name: set.name, forecasts: keptValues.copy(forecasts[i]) })),
  };
  if (settings.screen === true || (settings.screen === 'auto' && sets.length >= 2)) {
    score.screening = screenForecasts(settings.input, table, settings.bootstrap);
  }
  const horizonForecasts: HorizonForecasts[] = [];
  if ((settings.horizon ?? 1) > 1 || (settings.levels?.length ?? 0) > 0) {
    score.horizons = experimentHorizons(
      work.sorted.columns,
      sets,
      {
        horizon: settings.horizon ?? 1,
        levels: settings.levels ?? [],
        calibrationWindow: settings.calibrationWindow,
        trainRatio: settings.trainRatio,
        refitEvery: settings.refitEvery,
        target: settings.target,
        input: settings.input,
      },
      (kept) => horizonForecasts.push(kept),
    );
  }
  if (work.selection) {
    const { steps, ...start } = work.selection;
    score.selection = steps;
    score.selectionStart = start;
  }
  return { score, table, horizonForecasts };
}
