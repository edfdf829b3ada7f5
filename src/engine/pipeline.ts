/**
 * The whole job as a chain of stages (docs/README.md#the-pipeline), the same chain and stage names as
 * `pyspark/price_regression.py`:
 *
 *   parseFeatureSpec → readDailyCsv → sortAndDedupe → computeFeatures → nextPrice → dropNulls
 *     → assembleFeatures → randomSplit | timeSplit → fitWeightedLeastSquares → predict → summaries
 *     → writeSparkOutput
 *
 * `runPipeline` is the library API: the CLI, the parity suite and the benchmarks call it directly.
 * `features` is a feature spec (docs/features.md#feature-specs, featureSpec.ts), default `price,volume,marketCap,rsi`.
 */
import { readProgress } from './output/progress.js';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dropNulls } from './clean.js';
import { partitionRows } from './columns.js';
import { ingestOptionsOf, prepareDaily, readDailyInput, requiredInputs, type IngestOptions } from './ingest/input.js';
import { formatDay } from './ingest/dates.js';
import { InputError } from './errors.js';
import { computeFeatures, DEFAULT_FEATURE_SPEC, featureColumns, firstOhlcItem, parseFeatureSpec, trendSideDroppedRows, type FeatureItem } from './features/spec.js';
import type { DailyIngest } from './ingest/csv.js';
import { isPanel, splitAssets } from './panel/assets.js';
import { assembleFeatures } from './features/assemble.js';
import { nextPrice } from './label.js';
import { fitWeightedLeastSquares, type Regularisation } from './model/wls.js';
import { prepareOutput, writeSparkOutput } from './output/folder.js';
import { encodePredictionsParquet } from './output/predictionsParquet.js';
import { predict } from './model/predict.js';
import { randomSplit, ROLE_TEST, ROLE_TRAIN, timeSplit } from './split.js';
import { regressionMetrics, trainingSummary } from './model/summary.js';
import {
  COLLAPSED_DATES_LISTED,
  FEATURE_NAMES,
  type LabelledColumns,
  type MissingPolicy,
  type ModelReport,
  type PredictionColumns,
  type SplitMode,
} from './types.js';

export const DEFAULT_SEED = 42;
export const DEFAULT_TRAIN_RATIO = 0.7;
export const RSI_WINDOW = 14;
/** Rows the default spec's RSI needs before its first value (ta's min_periods = window). */
export const RSI_WARM_UP_ROWS = RSI_WINDOW - 1;
/** Rows left after clean-up that we require so that a split can both fit and test. */
export const MIN_ROWS_TO_FIT_AND_TEST = 10;
/**
 * Distinct dates the input must have with the default spec: warm-up + the last row (no next price) +
 * enough to fit and test. Other specs: their own warm-up, found by computing (tooFewRowsMessage).
 */
export const MIN_DISTINCT_DATES = RSI_WARM_UP_ROWS + 1 + MIN_ROWS_TO_FIT_AND_TEST;
/** The fit needs dof = n - p - 1 >= 1, with p features. */
export const minTrainRows = (featureCount: number) => featureCount + 2;
/** The default spec's minimum. */
export const MIN_TRAIN_ROWS = minTrainRows(FEATURE_NAMES.length);

export interface PipelineOptions {
  input: string;
  /** Output folder; omitted → nothing is written (the parity suite and benchmarks use this). */
  output?: string;
  seed?: number;
  split?: SplitMode;
  trainRatio?: number;
  /**
   * The feature spec (docs/features.md#feature-specs), e.g. `price,rsi(window=9),macd_diff`; default
   * DEFAULT_FEATURE_SPEC (`price,volume,marketCap,rsi`). A bad spec throws UsageError before anything
   * is read.
   */
  features?: string;
  /** How to read the input: layout (--format, --columns, --thousands) and --missing (input.ts). */
  format?: IngestOptions['format'];
  columns?: IngestOptions['columns'];
  thousands?: IngestOptions['thousands'];
  missing?: IngestOptions['missing'];
  /** `--ohlc-check on|off` (docs/input.md#open-high-and-low). */
  ohlcCheck?: IngestOptions['ohlcCheck'];
  /** On a file with an asset column: only these assets (docs/input.md#panels); default every one. */
  assets?: string[];
  /** Assets done / total on stderr (panels): default only when stderr is a terminal. */
  progress?: boolean;
  /** λ, Spark's `regParam` (docs/regularisation.md#the-penalty); default 0 (unpenalised). */
  regParam?: number;
  /** α, Spark's `elasticNetParam`: 0 ridge (default), 1 lasso. */
  elasticNet?: number;
}

export type StageName =
  | 'ingest'
  | 'sortAndDedupe'
  | 'features'
  | 'split'
  | 'fit'
  | 'predict'
  | 'write';

export interface PipelineResult {
  report: ModelReport;
  /** The test rows with their predictions, in date order: what the Parquet file holds. */
  predictions: PredictionColumns;
  /** The training rows (date order) the model was fitted on: for checks against independent solvers. */
  train: LabelledColumns;
  /** The folder written, or null when no output was asked for. */
  outputDir: string | null;
  /** Wall time of each stage in milliseconds. */
  timings: Record<StageName, number>;
}

/** What reading the input settles for every series in it: the feature items and columns, the fit's minimum. */
export interface PipelinePlan {
  items: FeatureItem[];
  columns: string[];
  minTrain: number;
  seed: number;
  split: SplitMode;
  trainRatio: number;
  regularisation: Regularisation;
  /** `--missing` (docs/input.md#missing-values). */
  missing?: MissingPolicy;
}

/** A stage timer: adds each call's wall time to its stage. */
export type StageTimer = <T>(stage: StageName, run: () => T) => T;

export function stageTimer(timings: Record<StageName, number>): StageTimer {
  return (stage, run) => {
    const start = performance.now();
    const result = run();
    timings[stage] = (timings[stage] ?? 0) + performance.now() - start;
    return result;
  };
}

/**
 * Reads the input once and settles the plan: the spec (a bad one throws UsageError before anything is
 * read), the ingest, and the default spec without market cap when the layout has none.
 */
export async function readPipelineInput(
  options: PipelineOptions,
  timings: Record<StageName, number>,
): Promise<{ ingest: DailyIngest; plan: PipelinePlan }> {
  let items = parseFeatureSpec(options.features ?? DEFAULT_FEATURE_SPEC);
  const defaultFeatures = (options.features ?? DEFAULT_FEATURE_SPEC) === DEFAULT_FEATURE_SPEC;
  const ingestStart = performance.now();
  const reading = readProgress(options.progress === true);
  const ingest = await readDailyInput(options.input, {
    ...ingestOptionsOf(options),
    required: requiredInputs(items),
    marketCapOptional: defaultFeatures,
    ohlcFor: firstOhlcItem(items),
    readProgress: reading,
  }).finally(() => reading.done());
  timings.ingest = performance.now() - ingestStart;
  if (defaultFeatures && !ingest.fields.includes('marketCap')) {
    // A layout without market cap runs the default features without it (docs/input.md#no-market-cap).
    items = items.filter((item) => item.fn !== 'marketCap');
  }
  const columns = featureColumns(items);
  return {
    ingest,
    plan: {
      items,
      columns,
      minTrain: minTrainRows(columns.length),
      seed: options.seed ?? DEFAULT_SEED,
      split: options.split ?? 'random',
      trainRatio: options.trainRatio ?? DEFAULT_TRAIN_RATIO,
      regularisation: { regParam: options.regParam ?? 0, elasticNetParam: options.elasticNet ?? 0 },
      missing: options.missing,
    },
  };
}

/**
 * Too few rows for the work asked (after clean-up, or in the split's train or test half): bad input
 * for one series, a reason to skip an asset of a panel (docs/input.md#panels).
 */
export class TooFewRowsError extends InputError {}

/** One series' fit: what runPipeline returns but the output folder and timings. */
export interface SeriesFit {
  report: ModelReport;
  predictions: PredictionColumns;
  train: LabelledColumns;
}

/**
 * The job on one series. A file with several assets is refused here (a result fitted across assets
 * would be silently wrong): `runPredict` or `runPanelPipeline` (panel/panelPipeline.ts) take panels,
 * and `assets: [name]` picks one.
 */
export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const timings = {} as Record<StageName, number>;
  if (options.output !== undefined) await prepareOutput(options.output); // fail before the work, not after
  const { ingest, plan } = await readPipelineInput(options, timings);
  if (isPanel(ingest) && options.assets?.length !== 1) {
    throw new InputError(
      options.input,
      0,
      ingest.assetColumn ?? 'asset',
      null,
      `one asset; this file holds ${ingest.assetNames!.length} (a panel: use runPredict or runPanelPipeline, or choose one asset)`,
    );
  }
  return runPipelineOnIngest(ingest, plan, options, timings);
}

/** runPipeline after the ingest: one series (or the one asset `options.assets` names), written if asked. */
export async function runPipelineOnIngest(
  ingest: DailyIngest,
  plan: PipelinePlan,
  options: PipelineOptions,
  timings: Record<StageName, number>,
): Promise<PipelineResult> {
  const one = options.assets === undefined ? ingest : splitAssets(ingest, options.assets)[0].ingest;
  const { report, predictions, train } = fitSeries(one, plan, options.input, stageTimer(timings));

  let outputDir: string | null = null;
  if (options.output !== undefined) {
    const writeStart = performance.now();
    const written = await writeSparkOutput(options.output, encodePredictionsParquet(predictions, plan.columns), report);
    outputDir = written.dir;
    timings.write = performance.now() - writeStart;
  } else {
    timings.write = 0;
  }

  return { report, predictions, train, outputDir, timings };
}

/**
 * Everything after the ingest for one series (one asset): sort and dedupe, missing values, features,
 * label, clean-up, split, fit, predict, the report. `file` names the input in messages.
 * @throws TooFewRowsError when too few rows are left to fit and test; InputError for other bad input
 */
export function fitSeries(ingest: DailyIngest, plan: PipelinePlan, file: string, timed: StageTimer): SeriesFit {
  const { items, columns, minTrain, seed, split, trainRatio, regularisation } = plan;
  const { deduped: sorted, missing } = timed('sortAndDedupe', () => prepareDaily(ingest, plan.missing));
  const distinctDates = sorted.columns.day.length;

  const labelled = timed('features', (): LabelledColumns => {
    const values = computeFeatures(items, sorted.columns, { file, layout: ingest.layout });
    // Key order is column order: date, the features in spec order, then the label.
    const table = { day: sorted.columns.day } as LabelledColumns;
    columns.forEach((column, j) => (table[column] = values[j]));
    table.nextPrice = nextPrice(sorted.columns.price);
    return table;
  });
  const cleaned = timed('features', () => dropNulls(labelled));
  const droppedForPsar = trendSideDroppedRows(labelled, items);
  const n = cleaned.day.length;
  if (n < MIN_ROWS_TO_FIT_AND_TEST) {
    throw new TooFewRowsError(file, 0, null, null, tooFewRowsMessage(labelled, columns, n));
  }

  const assignment = timed('split', () =>
    split === 'random' ? randomSplit(n, trainRatio, seed) : timeSplit(n, trainRatio),
  );
  if (assignment.trainCount < minTrain || assignment.testCount < 1) {
    throw new TooFewRowsError(
      file,
      0,
      null,
      null,
      `a split with at least ${minTrain} training rows and 1 test row; the ${split} split ` +
        `(train ratio ${trainRatio}${split === 'random' ? `, seed ${seed}` : ''}) of ${n} rows gave ` +
        `${assignment.trainCount} train and ${assignment.testCount} test (use more data or another ratio/seed)`,
    );
  }

  const [train, test] = timed('split', () => partitionRows(cleaned, assignment.role, ROLE_TRAIN, ROLE_TEST));

  const solution = timed('fit', () =>
    fitWeightedLeastSquares(assembleFeatures(train, columns), train.nextPrice, columns, regularisation),
  );

  const { training, testMetrics, predictions } = timed('predict', () => {
    const trainPrediction = predict(solution.coefficients, solution.intercept, assembleFeatures(train, columns));
    const testPrediction = predict(solution.coefficients, solution.intercept, assembleFeatures(test, columns));
    return {
      training: trainingSummary(solution, trainPrediction, train.nextPrice, columns.length),
      testMetrics: regressionMetrics(testPrediction, test.nextPrice),
      predictions: { ...test, prediction: testPrediction } satisfies PredictionColumns,
    };
  });

  const report: ModelReport = {
    tool: 'pricecast',
    engine: 'typescript',
    input: {
      file: basename(file),
      sha256: ingest.sha256,
      rowsRead: ingest.rowsRead,
      duplicateDatesCollapsed: { ...collapsedDates(sorted.collapsedDays), severalSnapshots: sorted.collapsedSnapshots ?? 0 },
      layout: ingest.layout,
      missing,
      asset: ingest.asset ?? null,
      ohlcInconsistentRows: ingest.ohlcInconsistentRows ?? 0,
    },
    seed,
    split,
    trainRatio,
    rows: {
      afterDedupe: distinctDates,
      afterDropNulls: n,
      train: assignment.trainCount,
      test: assignment.testCount,
      droppedForPsar: droppedForPsar ?? 0,
    },
    features: [...columns],
    featureSpecs: items,
    model: {
      featureNames: [...columns],
      coefficients: Array.from(solution.coefficients),
      intercept: solution.intercept,
      solver: solution.solver,
      regParam: regularisation.regParam,
      elasticNetParam: regularisation.elasticNetParam,
    },
    training,
    test: {
      numInstances: testMetrics.numInstances,
      rootMeanSquaredError: testMetrics.rootMeanSquaredError,
      meanAbsoluteError: testMetrics.meanAbsoluteError,
      r2: testMetrics.r2,
    },
  };
  return { report, predictions, train };
}

/**
 * Why fewer than MIN_ROWS_TO_FIT_AND_TEST rows are left after dropNulls, as InputError's "expected"
 * text: the dates the spec's warm-up needs (the leading rows where some feature has no value yet), the
 * last row (no next price) and the rows to fit and test; or the feature that has no value at all.
 */
export function tooFewRowsMessage(labelled: LabelledColumns, columns: readonly string[], rowsLeft: number): string {
  const distinct = labelled.day.length;
  let warmUp = 0;
  for (const name of columns) {
    const column = labelled[name];
    let first = 0;
    while (first < distinct && column[first] - column[first] !== 0) first++;
    if (first === distinct) {
      return `every feature to have values: ${name} is null, NaN or ±inf on all ${distinct} dates (too few dates for its warm-up, or arguments that leave it undefined)`;
    }
    warmUp = Math.max(warmUp, first);
  }
  const others = distinct - rowsLeft - warmUp - 1;
  return (
    `at least ${warmUp + 1 + MIN_ROWS_TO_FIT_AND_TEST} distinct dates (${warmUp} warm-up rows, 1 row without a next ` +
    `price, ${MIN_ROWS_TO_FIT_AND_TEST} to fit and test), found ${distinct}` +
    (others > 0 ? `; ${others} more rows were dropped where a feature is NaN or ±inf` : '')
  );
}

/** _model.json's duplicateDatesCollapsed: the count, and the first COLLAPSED_DATES_LISTED days as YYYY-MM-DD. */
function collapsedDates(days: Int32Array): ModelReport['input']['duplicateDatesCollapsed'] {
  const first = Array.from(days.subarray(0, COLLAPSED_DATES_LISTED), formatDay);
  return { count: days.length, first };
}
