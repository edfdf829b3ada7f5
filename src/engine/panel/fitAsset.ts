/**
 * One asset of a panel through the one-series chain (pipeline.ts `fitSeries`), as the panel keeps it:
 * its entry of the panel's _model.json and its predictions as a Parquet file, or why it was skipped
 * (too few rows, docs/input.md#panels). Run in this thread or on a worker (panelWorker.ts).
 */
import { encodePredictionsParquet } from '../output/predictionsParquet.js';
import type { DailyIngest } from '../ingest/csv.js';
import { fitSeries, stageTimer, TooFewRowsError, type PipelinePlan, type StageName } from '../pipeline.js';
import type { ModelReport } from '../types.js';
import { tooFewRowsReason } from './assets.js';

/** One asset's entry in a panel's _model.json: the one-series report's parts, per asset. */
export interface PanelAssetReport {
  asset: string;
  rows: ModelReport['rows'];
  input: Pick<ModelReport['input'], 'rowsRead' | 'duplicateDatesCollapsed' | 'missing' | 'ohlcInconsistentRows'>;
  model: ModelReport['model'];
  training: ModelReport['training'];
  test: ModelReport['test'];
}

/** One asset's fit as the panel keeps it: its report entry and its predictions as a Parquet file. */
export interface AssetOutcome {
  asset: string;
  fitted?: { entry: PanelAssetReport; parquet: Uint8Array };
  skipped?: string;
}

/** One asset through the one-series chain: its report entry and Parquet, or why it was skipped. */
export function fitAsset(asset: string, ingest: DailyIngest, plan: PipelinePlan, file: string, timings: Record<StageName, number>): AssetOutcome {
  try {
    const { report, predictions } = fitSeries(ingest, plan, file, stageTimer(timings));
    const { rowsRead, duplicateDatesCollapsed, missing, ohlcInconsistentRows } = report.input;
    return {
      asset,
      fitted: {
        entry: { asset, rows: report.rows, input: { rowsRead, duplicateDatesCollapsed, missing, ohlcInconsistentRows }, model: report.model, training: report.training, test: report.test },
        parquet: encodePredictionsParquet(predictions, plan.columns),
      },
    };
  } catch (error) {
    if (error instanceof TooFewRowsError) return { asset, skipped: tooFewRowsReason(error.expected) };
    throw error;
  }
}
