/**
 * The data that flows between the engine's stages. Every table is a set of named columns of equal
 * length (Arrow's model): no per-row objects, so 10M rows stay a few hundred MB.
 *
 * Dates are carried as days since 1970-01-01 in an Int32Array rather than as strings: that is what
 * Parquet's DATE type stores, it sorts as a number, and it costs 4 bytes a row instead of a
 * heap string. `formatDay`/`parseDay` in dates.ts convert at the edges.
 */
import type { ValueField } from './ingest/layouts.js';

/** The four input columns, one entry per CSV row (in file order until sorted). */
export interface DailyColumns {
  day: Int32Array;
  price: Float64Array;
  volume: Float64Array;
  marketCap: Float64Array;
  /**
   * The day's open, high and low, present (all three) when the input has them (docs/input.md#open-high-and-low);
   * NaN marks a missing value the run does not use.
   */
  open?: Float64Array;
  high?: Float64Array;
  low?: Float64Array;
}

/** What CSV ingest returns: the rows in file order, plus facts about the file for _model.json. */
export interface IngestResult {
  file: string;
  columns: DailyColumns;
  /** Data rows read (header excluded). */
  rowsRead: number;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
}

/** After sort + dedupe: ascending unique days. */
export interface SortedDaily {
  columns: DailyColumns;
  /** Days that appeared more than once (the last row in file order was kept), ascending. */
  collapsedDays: Int32Array;
}

/**
 * The rows the model sees: the date, one column per feature (named and ordered by the feature spec,
 * featureSpec.ts) and the label. NaN marks a null (a feature's warm-up, the last row's label).
 * Feature columns are reached by name (`table.rsi`, `table[column]`); every column but `day` is a
 * Float64Array.
 */
export interface LabelledColumns {
  day: Int32Array;
  nextPrice: Float64Array;
  [feature: string]: Float64Array | Int32Array;
}

/**
 * One item of a feature spec, normalised (docs/features.md#feature-specs): written to _model.json's `featureSpecs`
 * as it is, by both engines.
 */
export interface FeatureItem {
  /** The output column's name (featureSpec.ts gives the naming rule). */
  column: string;
  /** 'price' | 'volume' | 'marketCap' | a ta function name. */
  fn: string;
  /** Every argument of the function with its value, defaults filled, in the function's order. */
  args: Record<string, number | boolean>;
}

/** The default spec's feature columns (docs/features.md#the-default-features), the feature vector before section 9. */
export const FEATURE_NAMES = ['price', 'volume', 'marketCap', 'rsi'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

export type SplitMode = 'random' | 'time';

/** Which rows of the cleaned table (in date order) train and which test. */
export interface SplitAssignment {
  /**
   * Each row's role, per row of the cleaned table: ROLE_TRAIN, ROLE_TEST, or ROLE_NONE (split.ts) for a
   * row whose draw falls in neither of Spark's ranges because of rounding in the bounds (never seen in
   * practice).
   */
  role: Uint8Array;
  trainCount: number;
  testCount: number;
}

/** What was learned: plain data, JSON-serialisable. */
export interface LinearModel {
  featureNames: string[];
  coefficients: number[];
  intercept: number;
  /**
   * `cholesky`: Spark's normal-equation solve succeeded.
   * `fallback`: the Cholesky factorisation failed (a constant feature, collinear features); Spark retries
   * with L-BFGS, which the engine runs step for step (quasiNewton.ts). Statistics that need (A^T A)^-1 are then unavailable.
   * `owlqn`: an elastic-net or lasso penalty (λ > 0, α > 0): Spark's OWL-QN (owlqn.ts); no statistics either.
   */
  solver: 'cholesky' | 'fallback' | 'owlqn';
  /** λ, Spark's `regParam` (docs/regularisation.md#the-penalty); 0 = unpenalised. */
  regParam: number;
  /** α, Spark's `elasticNetParam`: 0 ridge, 1 lasso. */
  elasticNetParam: number;
}

/** Spark's LinearRegressionTrainingSummary, on the training rows. Arrays have the intercept last. */
export interface TrainingSummary {
  numInstances: number;
  degreesOfFreedom: number;
  /** null where Spark throws "No Std. Error of coefficients available". */
  coefficientStandardErrors: number[] | null;
  tValues: number[] | null;
  pValues: number[] | null;
  r2: number;
  r2adj: number;
  meanSquaredError: number;
  rootMeanSquaredError: number;
  meanAbsoluteError: number;
  explainedVariance: number;
}

/** RegressionMetrics on the test rows. */
export interface TestMetrics {
  numInstances: number;
  rootMeanSquaredError: number;
  meanAbsoluteError: number;
  r2: number;
}

/** The output rows: test rows in date order, docs/output.md. */
export interface PredictionColumns extends LabelledColumns {
  prediction: Float64Array;
}

/**
 * OUTPUT/_model.json. Written identically (same keys, same meaning) by the TypeScript engine and by
 * pyspark/price_regression.py, so the parity suite compares the two files field by field.
 */
/** How many collapsed dates _model.json lists (the earliest); pyspark/price_regression.py has the same number. */
export const COLLAPSED_DATES_LISTED = 20;

export interface ModelReport {
  tool: 'pricecast';
  /** Which half wrote it. */
  engine: 'typescript' | 'pyspark';
  input: {
    /** Base name of the input file. */
    file: string;
    sha256: string;
    rowsRead: number;
    /**
     * Dates that appeared more than once (their last row was kept): how many, and the first
     * COLLAPSED_DATES_LISTED of them (YYYY-MM-DD, ascending). Not all: an intraday file collapses millions.
     */
    duplicateDatesCollapsed: {
      count: number;
      first: string[];
      /** Of `count`, the days whose rows had different times (several snapshots in a day, the latest kept). */
      severalSnapshots?: number;
    };
    /** The asset the file's asset column names (one value throughout), or null (docs/input.md#assets). */
    asset?: string | null;
    /** Rows whose open/high/low disagree with the close, accepted under `--ohlc-check off` (0 otherwise). */
    ohlcInconsistentRows?: number;
    /** The layout read (src/engine/ingest/layouts.ts): pricecast, coingecko, coinmarketcap, columns, parquet (…). */
    layout?: string;
    /** What --missing did (src/engine/ingest/missing.ts). */
    missing?: MissingReport;
  };
  seed: number;
  split: SplitMode;
  trainRatio: number;
  rows: {
    afterDedupe: number;
    afterDropNulls: number;
    train: number;
    test: number;
    /**
     * Rows dropped only because psar_up or psar_down is NaN there (the other trend's rows, by ta's
     * design); 0 when the spec has neither (docs/features.md#high-and-low-indicators). Both engines
     * write it; absent in outputs written before the high/low functions.
     */
    droppedForPsar?: number;
  };
  /** The feature columns in spec order (the Parquet file's columns between `date` and `next_price`). */
  features: string[];
  /** The normalised feature spec, one item per column; absent in outputs written before feature specs. */
  featureSpecs?: FeatureItem[];
  model: LinearModel;
  training: TrainingSummary;
  test: TestMetrics;
}

/** What to do with a missing cell of a field the run uses (docs/input.md#missing-values). */
export const MISSING_POLICIES = ['error', 'previous', 'zero', 'drop'] as const;
export type MissingPolicy = (typeof MISSING_POLICIES)[number];

/** What `--missing` did (src/engine/ingest/missing.ts, docs/input.md#missing-values), for the summary and _model.json. */
export interface MissingReport {
  policy: MissingPolicy;
  /**
   * Missing cells per field among the kept days (filled, or the cause of a drop); open, high and low
   * (when the run uses them) are listed only when they have some.
   */
  cells: Record<ValueField, number>;
  /** Days removed by `drop` (0 for the other policies). */
  rowsDropped: number;
}
