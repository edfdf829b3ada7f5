/**
 * predict on a panel (docs/output.md#panels): the one-series chain (pipeline.ts `fitSeries`) run per
 * asset, so each asset's model, metrics and predictions are those of a file holding only its rows,
 * bit for bit; then one folder in Spark's `partitionBy("asset")` layout. Assets are independent, so
 * they run on worker threads when there are enough of them (panelWorkers.ts); the order in which they
 * finish changes nothing.
 *
 * `runPredict` is what `pricecast predict` calls: it reads the input once and takes the one-series
 * path or this one.
 */
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import { InputError } from '../errors.js';
import type { DailyIngest } from '../ingest/csv.js';
import { MODEL_FILE, prepareOutput, SPARK_LAYOUT, SUCCESS_FILE, writeOutputFolder, type OutputFile } from '../output/folder.js';
import {
  readPipelineInput,
  runPipelineOnIngest,
  type PipelineOptions,
  type PipelinePlan,
  type PipelineResult,
  type StageName,
} from '../pipeline.js';
import type { FeatureItem } from '../features/spec.js';
import type { SplitMode } from '../types.js';
import { isPanel, splitAssets, tooFewRowsReason, type SkippedAsset } from './assets.js';
import { fitAsset, type AssetOutcome, type PanelAssetReport } from './fitAsset.js';
import { fitAssetsInWorkers, PANEL_WORKERS_MIN_ROWS } from './panelWorkers.js';
import { progressReporter } from '../output/progress.js';


/** A panel's _model.json (docs/output.md#panels). */
export interface PanelModelReport {
  tool: 'pricecast';
  engine: 'typescript';
  input: { file: string; sha256: string; rowsRead: number; layout: string; assetColumn: string; assetsInFile: number };
  seed: number;
  split: SplitMode;
  trainRatio: number;
  features: string[];
  featureSpecs: FeatureItem[];
  assets: PanelAssetReport[];
  skipped: SkippedAsset[];
}

export interface PanelPipelineResult {
  report: PanelModelReport;
  outputDir: string | null;
  timings: Record<StageName, number>;
}

export type { AssetOutcome, PanelAssetReport };

export type PredictResult = ({ kind: 'series' } & PipelineResult) | ({ kind: 'panel' } & PanelPipelineResult);


/** `pricecast predict`: one series or a panel, as the input turns out to be. */
export async function runPredict(options: PipelineOptions): Promise<PredictResult> {
  const timings = {} as Record<StageName, number>;
  if (options.output !== undefined) await prepareOutput(options.output); // fail before the work, not after
  const { ingest, plan } = await readPipelineInput(options, timings);
  if (!isPanel(ingest)) return { kind: 'series', ...(await runPipelineOnIngest(ingest, plan, options, timings)) };
  return { kind: 'panel', ...(await runPanelOnIngest(ingest, plan, options, timings)) };
}

/** predict on a panel (a file with several assets); a one-asset file is a panel of one. */
export async function runPanelPipeline(options: PipelineOptions): Promise<PanelPipelineResult> {
  const timings = {} as Record<StageName, number>;
  if (options.output !== undefined) await prepareOutput(options.output);
  const { ingest, plan } = await readPipelineInput(options, timings);
  return runPanelOnIngest(ingest, plan, options, timings);
}


async function runPanelOnIngest(
  ingest: DailyIngest,
  plan: PipelinePlan,
  options: PipelineOptions,
  timings: Record<StageName, number>,
): Promise<PanelPipelineResult> {
  const assets = splitAssets(ingest, options.assets);
  const named = new Set(options.assets ?? []);
  const progress = progressReporter('assets', assets.length, options.progress);
  const fitStart = performance.now();
  let outcomes: AssetOutcome[];
  try {
    outcomes =
      ingest.rowsRead >= PANEL_WORKERS_MIN_ROWS && assets.length > 1
        ? await fitAssetsInWorkers(assets, plan, options.input, progress.advance)
        : assets.map(({ asset, ingest: one }) => {
            const outcome = fitAsset(asset, one, plan, options.input, timings);
            progress.advance();
            return outcome;
          });
  } finally {
    progress.done();
  }
  if (timings.fit === undefined) timings.fit = performance.now() - fitStart;

  const skipped: SkippedAsset[] = [];
  for (const outcome of outcomes) {
    if (outcome.skipped === undefined) continue;
    if (named.has(outcome.asset)) {
      // --assets named it: the user asked for this asset, so too few rows is bad input (docs/input.md#panels).
      throw new InputError(options.input, 0, ingest.assetColumn ?? 'asset', outcome.asset, outcome.skipped.replace(tooFewRowsReason(''), ''));
    }
    skipped.push({ asset: outcome.asset, reason: outcome.skipped });
  }
  const fitted = outcomes.filter((outcome) => outcome.fitted !== undefined);
  if (fitted.length === 0) {
    throw new InputError(
      options.input,
      0,
      null,
      null,
      `at least one asset with enough rows to fit and test; all ${outcomes.length} were skipped (${outcomes[0].asset}: ${outcomes[0].skipped})`,
    );
  }

  const report: PanelModelReport = {
    tool: 'pricecast',
    engine: 'typescript',
    input: {
      file: basename(options.input),
      sha256: ingest.sha256,
      rowsRead: ingest.rowsRead,
      layout: ingest.layout,
      assetColumn: ingest.assetColumn ?? 'asset',
      assetsInFile: ingest.assetNames?.length ?? 1,
    },
    seed: plan.seed,
    split: plan.split,
    trainRatio: plan.trainRatio,
    features: [...plan.columns],
    featureSpecs: plan.items,
    assets: fitted.map((outcome) => outcome.fitted!.entry),
    skipped,
  };

  let outputDir: string | null = null;
  timings.write = 0;
  if (options.output !== undefined) {
    const writeStart = performance.now();
    outputDir = await writePanelOutput(options.output, fitted, report);
    timings.write = performance.now() - writeStart;
  }
  return { report, outputDir, timings };
}

/** The folder: `asset=<name>/part-00000-<uuid>.snappy.parquet` per fitted asset, _model.json, _SUCCESS. */
async function writePanelOutput(dir: string, fitted: AssetOutcome[], report: PanelModelReport): Promise<string> {
  const body = `${JSON.stringify(report, null, 2)}\n`;
  const partName = `part-00000-${crypto.randomUUID()}.snappy.parquet`;
  const files: OutputFile[] = fitted.map((outcome) => ({ name: `asset=${outcome.asset}/${partName}`, data: outcome.fitted!.parquet }));
  files.push({ name: MODEL_FILE, data: body }, { name: SUCCESS_FILE, data: '' });
  return writeOutputFolder(dir, SPARK_LAYOUT, files);
}
