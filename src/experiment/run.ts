/**
 * `pricecast experiment` as a library call, a chain of small stages:
 *
 *   loadSeries → commonRows → walkForward per set (+ persistence) → forecastMetrics
 *     → results.json, forecasts.parquet, report.html → writeExperimentFolder
 *
 * Bad input or a bad spec is found before anything is written; the output folder is checked
 * (absent, or an earlier experiment output) before the computation, not after it.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatDay } from '../engine/ingest/dates.js';
import { InputError, UsageError } from '../engine/errors.js';
import { formatFeatureItem } from '../engine/features/spec.js';
import type { IngestOptions } from '../engine/ingest/input.js';
import { checkExperimentOutput, EXPERIMENT_LAYOUT, writeExperimentFolder } from './folder.js';
import { createClients } from '../emr/clients.js';
import { checkS3Folder, withS3Output } from '../engine/output/s3Folder.js';
import { encodeForecastsParquet, type ForecastTable } from './forecastsParquet.js';
import { builtInCandidates, hasHighLow } from './ladder.js';
import { forecastErrors, forecastMetrics } from './metrics.js';
import { persistenceForecasts } from './persistence.js';
import { forecastSets } from './parallel.js';
import { renderReport } from './report.js';
import type { ExperimentResults, SetResult } from './results.js';
import { commonRows } from './rows.js';
import { loadSeries } from './series.js';
import { assertUniqueNames, expandPenalties, PERSISTENCE, type FeatureSet } from './sets.js';
import type { Target } from './target.js';
import { walkForwardPlan } from './walkForward.js';
import { DEFAULT_SCREENING, type ScreeningOptions } from './screening/screen.js';
import { screenForecasts } from './screening/forecasts.js';
import { forwardSelection, selectionSet, type SelectionRequest } from './selection.js';
import { experimentHorizons } from './horizons.js';
import { isS3Uri, withLocalInput } from '../engine/ingest/s3Input.js';
import { isPositiveIntegerRule, isRatioRule } from '../settings.js';

/** Test rows the DM test needs (T − 1 ≥ 1 degrees of freedom). */
export const MIN_TEST_ROWS = 2;

export interface ExperimentOptions {
  input: string;
  /** The sets to compare; empty or omitted: the built-in ladder. */
  sets?: FeatureSet[];
  trainRatio: number;
  /** λ values to try: every set becomes one candidate per value (docs/regularisation.md#in-experiment). */
  regParams?: number[];
  /** α values to try, likewise (with regParams: every pair). */
  elasticNets?: number[];
  refitEvery: number;
  target: Target;
  /** Output folder; omitted: nothing is written. */
  output?: string;
  /** How to read the input (layout, --missing), as for predict. */
  ingest?: IngestOptions;
  /** Worker threads: 'auto' decides by the amount of work (./parallel.ts). */
  threads?: 'auto' | number;
  /** Screen the sets against persistence (./screening/): 'auto' (the default) when there are two or more. */
  screen?: boolean | 'auto';
  /** The screening's bootstrap; omitted: seed 42, 10,000 replications, block size floor(√T). */
  bootstrap?: ScreeningOptions;
  /** Forward selection (./selection.ts): its start set and every step's set join the sets compared. */
  selection?: SelectionRequest;
  /** Score horizons 1 … H and conformal intervals at these levels (./horizons.ts); omitted: horizon 1, no intervals. */
  horizon?: number;
  levels?: number[];
  calibrationWindow?: number;
}

export type ExperimentStage = 'ingest' | 'features' | 'walkForward' | 'metrics' | 'report' | 'write';

export interface ExperimentRun {
  results: ExperimentResults;
  forecasts: ForecastTable;
  outputDir: string | null;
  /** Wall time of each stage in milliseconds. */
  timings: Record<ExperimentStage, number>;
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentRun> {
  const builtIn = !(options.sets && options.sets.length > 0) && options.selection === undefined;
  const candidates = (base: FeatureSet[]) => expandPenalties(base, options.regParams, options.elasticNets);
  let sets = candidates(builtIn ? builtInCandidates() : (options.sets ?? []));
  assertUniqueNames(sets);
  const selecting = options.selection && selectionSet(options.selection);
  // The settings table's rules, for library callers (the CLI has applied them already).
  const refitProblem = isPositiveIntegerRule(options.refitEvery);
  if (refitProblem) throw new UsageError(`--refit-every: expected ${refitProblem}, got ${options.refitEvery}`);
  const ratioProblem = isRatioRule(options.trainRatio);
  if (ratioProblem) throw new UsageError(`--train-ratio: expected ${ratioProblem}, got ${options.trainRatio}`);
  if (options.output !== undefined) {
    if (isS3Uri(options.output)) await checkS3Folder(createClients().s3, options.output, EXPERIMENT_LAYOUT);
    else await checkExperimentOutput(options.output);
  }

  const timings = { ingest: 0, features: 0, walkForward: 0, metrics: 0, report: 0, write: 0 };
  let started = performance.now();
  const lap = (stage: ExperimentStage) => {
    const now = performance.now();
    timings[stage] += now - started;
    started = now;
  };
  const items = [...sets, ...(selecting ? [selecting] : [])].flatMap((s) => s.items);
  // An s3:// input is read from a local copy (src/engine/ingest/s3Input.ts).
  const { ingest, sorted } = isS3Uri(options.input)
    ? await withLocalInput(options.input, (file) => loadSeries(file, items, options.ingest))
    : await loadSeries(options.input, items, options.ingest);
  // The built-in ladder's high/low rung, when the input has open, high and low (docs/experiment.md#feature-sets).
  if (builtIn && hasHighLow(sorted.columns)) sets = candidates(builtInCandidates({ highLow: true }));
  lap('ingest');
  const rows = commonRows(sorted.columns, selecting ? [...sets, selecting] : sets);
  lap('features');
  const n = rows.day.length;
  const plan = walkForwardPlan(n, options.trainRatio, options.refitEvery, options.target);
  const widest = Math.max(options.selection?.maxFeatures ?? 0, ...sets.map((s) => s.items.length));
  const minTrain = widest + 2;
  if (plan.trainCount < minTrain || n - plan.trainCount < MIN_TEST_ROWS) {
    throw new InputError(
      options.input,
      0,
      null,
      null,
      `enough rows for a walk-forward: ${minTrain} training rows (the widest set has ${widest} features) and ` +
        `${MIN_TEST_ROWS} test rows; ${n} rows have every feature of every set and a next price, and train ratio ` +
        `${options.trainRatio} gives ${plan.trainCount} training and ${n - plan.trainCount} test rows` +
        (rows.scarcest === null ? '' : ` (${rows.scarcest.item} has values on ${rows.scarcest.dates} of ${rows.scarcest.of} dates)`),
    );
  }

  const selected = selecting ? forwardSelection(options.input, rows, rows.features.pop()!, plan, options.selection!) : null;
  if (selected) {
    sets = [...sets, ...selected.sets];
    assertUniqueNames(sets);
    rows.features.push(...selected.features);
  }
  const featureNames = sets.map((set) => set.items.map((item) => item.column));
  const forecasts = await forecastSets(rows, featureNames, plan, options.threads ?? 'auto', sets.map((set) => set.regularisation));
  lap('walkForward');
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
  const results: ExperimentResults = {
    tool: 'pricecast',
    command: 'experiment',
    input: { file: basename(ingest.file), sha256: ingest.sha256, rowsRead: ingest.rowsRead },
    trainRatio: options.trainRatio,
    refitEvery: options.refitEvery,
    target: options.target,
    window: 'expanding',
    baseline: 'persistence',
    rows: n,
    trainRows: plan.trainCount,
    testRows: n - plan.trainCount,
    firstTestDate: formatDay(testDays[0]),
    lastTestDate: formatDay(testDays[testDays.length - 1]),
    sets: setResults,
  };
  const table: ForecastTable = {
    day: testDays.slice(),
    price: price.slice(),
    nextPrice: nextPrice.slice(),
    persistence,
    sets: sets.map((set, i) => ({ name: set.name, forecasts: forecasts[i] })),
  };
  if (options.screen === true || ((options.screen ?? 'auto') === 'auto' && sets.length >= 2)) {
    results.screening = screenForecasts(options.input, table, options.bootstrap ?? DEFAULT_SCREENING);
  }
  if ((options.horizon ?? 1) > 1 || (options.levels?.length ?? 0) > 0) {
    results.horizons = experimentHorizons(sorted.columns, sets, {
      horizon: options.horizon ?? 1,
      levels: options.levels ?? [],
      calibrationWindow: options.calibrationWindow,
      trainRatio: options.trainRatio,
      refitEvery: options.refitEvery,
      target: options.target,
      input: options.input,
    });
    if (options.calibrationWindow !== undefined) results.calibrationWindow = options.calibrationWindow;
  }
  if (selected) {
    const { steps, ...start } = selected.path;
    results.selection = steps;
    results.selectionStart = start;
  }

  lap('metrics');

  let outputDir: string | null = null;
  if (options.output !== undefined) {
    const report = await renderReport(results, table);
    lap('report');
    const files = { results: resultsJson(results), forecasts: encodeForecastsParquet(table), report };
    outputDir = isS3Uri(options.output)
      ? (await withS3Output(options.output, EXPERIMENT_LAYOUT, (local) => writeExperimentFolder(local, files))).uri
      : await writeExperimentFolder(options.output, files);
    lap('write');
  }
  return { results, forecasts: table, outputDir, timings };
}

/** Pretty JSON; non-finite numbers (no DM test, no price move) are written as null. */
export function resultsJson(results: ExperimentResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
