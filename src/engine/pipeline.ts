/**
 * The whole job as a chain of stages (SPEC.md sections 1-7), the same chain and stage names as
 * `pyspark/price_regression.py`:
 *
 *   readDailyCsv → sortAndDedupe → rsi → nextPrice → dropNulls → assembleFeatures
 *     → randomSplit | timeSplit → fitWeightedLeastSquares → predict → summaries → writeSparkOutput
 *
 * `runPipeline` is the library API: the CLI, the parity suite and the benchmarks call it directly.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dropNulls } from './clean.js';
import { selectRows } from './columns.js';
import { readDailyCsv } from './csv.js';
import { formatDay } from './dates.js';
import { sortAndDedupe } from './dedupe.js';
import { InputError } from './errors.js';
import { assembleFeatures } from './features.js';
import { nextPrice } from './label.js';
import { fitWeightedLeastSquares } from './ols.js';
import { writeSparkOutput } from './output.js';
import { encodePredictionsParquet } from './parquet.js';
import { predict } from './predict.js';
import { rsi } from './rsi.js';
import { randomSplit, timeSplit } from './split.js';
import { regressionMetrics, trainingSummary } from './summary.js';
import {
  FEATURE_NAMES,
  type LabelledColumns,
  type ModelReport,
  type PredictionColumns,
  type SplitMode,
} from './types.js';

export const DEFAULT_SEED = 42;
export const DEFAULT_TRAIN_RATIO = 0.7;
export const RSI_WINDOW = 14;
/** Rows the RSI needs before its first value (ta's min_periods = window). */
export const RSI_WARM_UP_ROWS = RSI_WINDOW - 1;
/** Rows left after clean-up that we require so that a split can both fit and test. */
export const MIN_ROWS_TO_FIT_AND_TEST = 10;
/** Distinct dates the input must have: warm-up + the last row (no next price) + enough to fit and test. */
export const MIN_DISTINCT_DATES = RSI_WARM_UP_ROWS + 1 + MIN_ROWS_TO_FIT_AND_TEST;
/** The fit needs dof = n - p - 1 >= 1. */
export const MIN_TRAIN_ROWS = FEATURE_NAMES.length + 2;

export interface PipelineOptions {
  input: string;
  /** Output folder; omitted → nothing is written (the parity suite and benchmarks use this). */
  output?: string;
  seed?: number;
  split?: SplitMode;
  trainRatio?: number;
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

export async function runPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const split = options.split ?? 'random';
  const trainRatio = options.trainRatio ?? DEFAULT_TRAIN_RATIO;
  const timings = {} as Record<StageName, number>;
  const timed = <T>(stage: StageName, run: () => T): T => {
    const start = performance.now();
    const result = run();
    timings[stage] = (timings[stage] ?? 0) + performance.now() - start;
    return result;
  };

  const ingestStart = performance.now();
  const ingest = await readDailyCsv(options.input);
  timings.ingest = performance.now() - ingestStart;

  const sorted = timed('sortAndDedupe', () => sortAndDedupe(ingest.columns));
  const distinctDates = sorted.columns.day.length;
  if (distinctDates < MIN_DISTINCT_DATES) {
    throw new InputError(
      options.input,
      0,
      null,
      null,
      `at least ${MIN_DISTINCT_DATES} distinct dates (${RSI_WARM_UP_ROWS} RSI warm-up rows, 1 row ` +
        `without a next price, ${MIN_ROWS_TO_FIT_AND_TEST} to fit and test), found ${distinctDates}`,
    );
  }

  const cleaned = timed('features', (): LabelledColumns => {
    const labelled: LabelledColumns = {
      ...sorted.columns,
      rsi: rsi(sorted.columns.price, RSI_WINDOW),
      nextPrice: nextPrice(sorted.columns.price),
    };
    return dropNulls(labelled);
  });
  const n = cleaned.price.length;

  const assignment = timed('split', () =>
    split === 'random' ? randomSplit(n, trainRatio, seed) : timeSplit(n, trainRatio),
  );
  if (assignment.trainCount < MIN_TRAIN_ROWS || assignment.testCount < 1) {
    throw new InputError(
      options.input,
      0,
      null,
      null,
      `a split with at least ${MIN_TRAIN_ROWS} training rows and 1 test row; the ${split} split ` +
        `(train ratio ${trainRatio}${split === 'random' ? `, seed ${seed}` : ''}) of ${n} rows gave ` +
        `${assignment.trainCount} train and ${assignment.testCount} test (use more data or another ratio/seed)`,
    );
  }

  const train = timed('split', () => selectRows(cleaned, assignment.isTrain, 1));
  const test = timed('split', () => selectRows(cleaned, assignment.isTrain, 0));

  const solution = timed('fit', () =>
    fitWeightedLeastSquares(assembleFeatures(train), train.nextPrice),
  );

  const { training, testMetrics, predictions } = timed('predict', () => {
    const trainPrediction = predict(solution.coefficients, solution.intercept, assembleFeatures(train));
    const testPrediction = predict(solution.coefficients, solution.intercept, assembleFeatures(test));
    return {
      training: trainingSummary(solution, trainPrediction, train.nextPrice, FEATURE_NAMES.length),
      testMetrics: regressionMetrics(testPrediction, test.nextPrice),
      predictions: { ...test, prediction: testPrediction } satisfies PredictionColumns,
    };
  });

  const report: ModelReport = {
    tool: 'pricecast',
    engine: 'typescript',
    input: {
      file: basename(options.input),
      sha256: ingest.sha256,
      rowsRead: ingest.rowsRead,
      duplicateDatesCollapsed: formatDays(sorted.collapsedDays),
    },
    seed,
    split,
    trainRatio,
    rows: {
      afterDedupe: distinctDates,
      afterDropNulls: n,
      train: assignment.trainCount,
      test: assignment.testCount,
    },
    features: [...FEATURE_NAMES],
    model: {
      featureNames: [...FEATURE_NAMES],
      coefficients: Array.from(solution.coefficients),
      intercept: solution.intercept,
      solver: solution.solver,
    },
    training,
    test: {
      numInstances: testMetrics.numInstances,
      rootMeanSquaredError: testMetrics.rootMeanSquaredError,
      meanAbsoluteError: testMetrics.meanAbsoluteError,
      r2: testMetrics.r2,
    },
  };

  let outputDir: string | null = null;
  if (options.output !== undefined) {
    const writeStart = performance.now();
    const written = await writeSparkOutput(options.output, encodePredictionsParquet(predictions), report);
    outputDir = written.dir;
    timings.write = performance.now() - writeStart;
  } else {
    timings.write = 0;
  }

  return { report, predictions, train, outputDir, timings };
}

/** YYYY-MM-DD of each day; a plain loop (Array.from with a map function was ~30% slower on millions). */
function formatDays(days: Int32Array): string[] {
  const out = new Array<string>(days.length);
  for (let i = 0; i < days.length; i++) out[i] = formatDay(days[i]);
  return out;
}
