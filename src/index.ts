/**
 * pricecast as a library (`import { runPipeline } from 'pricecast'`): the public API and nothing else.
 * package.json `exports` points here (built to dist/index.js, types in dist/types/index.d.ts); whatever
 * is not re-exported below is internal and may change without notice (docs/install.md#what-the-package-holds).
 */

// predict: CSV (or Parquet) in, the fitted model, the test rows' predictions, optionally the output folder.
export { runPipeline, DEFAULT_SEED, DEFAULT_TRAIN_RATIO } from './engine/pipeline.js';
export type { PipelineOptions, PipelineResult, StageName } from './engine/pipeline.js';
// predict on a file of one asset or many (a panel: one model per asset, docs/output.md#panels).
export { runPredict, runPanelPipeline } from './engine/panel/panelPipeline.js';
export type { PanelAssetReport, PanelModelReport, PanelPipelineResult, PredictResult } from './engine/panel/panelPipeline.js';
export type { SkippedAsset } from './engine/panel/assets.js';
export type {
  LabelledColumns,
  LinearModel,
  ModelReport,
  PredictionColumns,
  SplitMode,
  TestMetrics,
  TrainingSummary,
} from './engine/types.js';

// experiment: walk-forward comparison of feature sets against persistence.
export { runExperiment, runPanelExperiment, runAnyExperiment } from './experiment/run.js';
export type { ExperimentOptions, ExperimentRun, ExperimentStage, PanelExperimentRun } from './experiment/run.js';
export type { AssetResult, ExperimentResults, PanelResults, SetResult } from './experiment/results.js';
export type { ForecastTable } from './experiment/forecastsParquet.js';
export type { Target } from './experiment/target.js';

// forecast: the days after the last one, with conformal intervals and the track record beside them.
export { runAnyForecast, runForecast, runPanelForecast } from './forecast/run.js';
export type {
  AnyForecastRun,
  AssetForecast,
  ForecastDocument,
  ForecastOptions,
  ForecastRun,
  HorizonForecast,
  PanelForecastDocument,
  PanelForecastRun,
} from './forecast/run.js';
export type { TrackRecord } from './forecast/trackRecord.js';

// Feature specs and feature sets, as the --features and --set flags take them.
export { DEFAULT_FEATURE_SPEC, featureColumns, parseFeatureSpec } from './engine/features/spec.js';
export type { FeatureItem } from './engine/features/spec.js';
export { parseSetFlag, readSetsFile } from './experiment/sets.js';
export type { FeatureSet } from './experiment/sets.js';

// How the input is read (--format, --columns, --thousands, --missing).
export type { IngestOptions } from './engine/ingest/input.js';

// The errors a caller may want to tell apart: bad input (file, line, column) and bad usage.
export { InputError, UsageError } from './engine/errors.js';

// The bundled default data (the real Algorand history) and the package's version.
export { DEFAULT_INPUT } from './settings.js';
export { VERSION } from './version.js';
