/**
 * `pricecast experiment` as a library call, a chain of small stages:
 *
 *   readSeries → (a panel: splitAssets, per asset) prepareSeries → planSeries (common rows, plan, selection)
 *     → walk-forwards per set and asset (./parallel.ts) → scoreSeries (persistence, metrics, screening,
 *     horizons) → (a panel: ./panelStatistics.ts) → results.json, forecasts.parquet, report.html
 *     → writeExperimentFolder
 *
 * One series and each asset of a panel go through the same stages (./seriesExperiment.ts), so a panel's
 * per-asset results are those of the asset's rows alone. Bad input or a bad spec is found before anything
 * is written; the output folder is checked (absent, or an earlier experiment output) before the
 * computation, not after it.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InputError, UsageError } from '../engine/errors.js';
import type { DailyIngest } from '../engine/ingest/csv.js';
import type { IngestOptions } from '../engine/ingest/input.js';
import { isPanel, splitAssets, tooFewRowsReason, type SkippedAsset } from '../engine/panel/assets.js';
import { checkExperimentOutput, EXPERIMENT_LAYOUT, writeExperimentFolder } from './folder.js';
import { encodeForecastsParquet, type ForecastTable } from './forecastsParquet.js';
import { builtInCandidates, hasHighLow } from './ladder.js';
import { experimentPool, forecastSeries } from './parallel.js';
import { renderReport } from './report.js';
import { renderPanelReport } from './panelReport.js';
import type { AssetResult, ExperimentResults, PanelResults } from './results.js';
import { prepareSeries, readSeries } from './series.js';
import { assertUniqueNames, expandPenalties, type FeatureSet } from './sets.js';
import type { Target } from './target.js';
import { DEFAULT_SCREENING, type ScreeningOptions } from './screening/screen.js';
import { selectionSet, type SelectionRequest } from './selection.js';
import { isS3Uri, withLocalInput } from '../engine/ingest/s3Input.js';
import { isPositiveIntegerRule, isRatioRule } from '../settings.js';
import { MIN_TEST_ROWS, planSeries, scoreSeries, walkOf, type ScoredSeries, type SeriesSettings, type SeriesWork } from './seriesExperiment.js';
import { panelForecastTable, panelSummary } from './panel.js';

export { MIN_TEST_ROWS };

/**
 * Feature values (rows × distinct columns) a batch of assets holds before its walk-forwards run: about
 * 32 MB, and as much again in the workers' copies. Small, so that the batches' columns stay a small part
 * of a large panel's peak, which is the kept test rows and the output at the run's end: the 10,000-asset
 * panel (9.85M rows) peaked at 1,060 MiB with 16M, 824-850 MiB with 4M, no lower with 2M or 1M
 * (docs/experiment.md#panels; bench/RESULTS.md "Panel experiment memory"). Smaller batches cost no
 * thread starts (one pool serves every batch, ./parallel.ts), only a wait for each batch's last job.
 */
export const BATCH_VALUES = 4_000_000;

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
  /** On a panel: only these assets (`--assets`); each must be in the file, and has to have enough rows. */
  assets?: string[];
  /** On a panel: called for each asset left out (too few rows), before the walk-forwards. */
  onSkip?: (skipped: SkippedAsset) => void;
  /** On a panel: called as assets finish (skipped ones included). */
  onProgress?: (done: number, total: number) => void;
  /** A single series' walk-forward: the share of its work done, from 0 to 1 (progress only). */
  onWalkForward?: (share: number) => void;
  /** Feature values a batch of assets holds before its walk-forwards run (default BATCH_VALUES); never changes a result. */
  batchValues?: number;
}

export type ExperimentStage = 'ingest' | 'features' | 'walkForward' | 'metrics' | 'report' | 'write';

export interface ExperimentRun {
  results: ExperimentResults;
  forecasts: ForecastTable;
  outputDir: string | null;
  /** Wall time of each stage in milliseconds. */
  timings: Record<ExperimentStage, number>;
}

/** A panel's run: `forecasts` holds every asset's test rows, asset by asset (`assetIndex` into `results.assets`). */
export interface PanelExperimentRun {
  results: PanelResults;
  forecasts: ForecastTable;
  outputDir: string | null;
  timings: Record<ExperimentStage, number>;
}

/**
 * The experiment of a one-series input. A panel throws a UsageError naming runPanelExperiment once the
 * input is read, before any work or output.
 */
export function runExperiment(options: ExperimentOptions): Promise<ExperimentRun> {
  return runAnyExperiment(options, 'series') as Promise<ExperimentRun>;
}

/** The experiment of a panel; a file of one series is a panel of one asset. */
export function runPanelExperiment(options: ExperimentOptions): Promise<PanelExperimentRun> {
  return runAnyExperiment(options, 'panel') as Promise<PanelExperimentRun>;
}

/** What the caller takes: either kind of input, one series only, or always a panel. */
type InputKind = 'any' | 'series' | 'panel';

/** Whether the input is read as a panel: its asset column names several assets, or --assets chose some. */
function readAsPanel(ingest: DailyIngest, options: ExperimentOptions, kind: InputKind): boolean {
  const panel = kind === 'panel' || isPanel(ingest) || (options.assets !== undefined && options.assets.length > 0);
  if (panel && kind === 'series') throw new UsageError('runExperiment: the input is a panel (several assets, or --assets): call runPanelExperiment');
  return panel;
}

/**
 * The experiment of any input: one series (ExperimentRun) or a panel (PanelExperimentRun, told apart by
 * `results.assets`). The CLI calls this.
 */
export async function runAnyExperiment(options: ExperimentOptions, kind: InputKind = 'any'): Promise<ExperimentRun | PanelExperimentRun> {
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
    if (isS3Uri(options.output)) {
      const [{ checkS3Folder }, { createClients }] = await Promise.all([import('../engine/output/s3Folder.js'), import('../emr/clients.js')]);
      await checkS3Folder(createClients().s3, options.output, EXPERIMENT_LAYOUT);
    }
    else await checkExperimentOutput(options.output);
  }

  const timings = { ingest: 0, features: 0, walkForward: 0, metrics: 0, report: 0, write: 0 };
  let started = performance.now();
  const lap = (stage: ExperimentStage) => {
    const now = performance.now();
    timings[stage] += now - started;
    started = now;
  };
  const itemsOf = () => [...sets, ...(selecting ? [selecting] : [])].flatMap((s) => s.items);
  // The built-in sets run without marketCap on a layout that has none, as predict's default features do.
  const ingestOptions: IngestOptions = { ...options.ingest, ...(builtIn ? { marketCapOptional: true } : {}) };
  // An s3:// input is read from a local copy (src/engine/ingest/s3Input.ts).
  // The input's columns are held only by `series` (a panel's assets are cut from them one at a time),
  // which is dropped once the last asset is cut, so they can be freed before the run's tail (the panel
  // table, the Parquet encode, the report): the 10,000-asset panel's peak, bench/RESULTS.md.
  let series: { asset: string; ingest: DailyIngest }[] | null = null;
  const input = await (async () => {
    const ingest = isS3Uri(options.input)
      ? await withLocalInput(options.input, (file) => readSeries(file, itemsOf(), ingestOptions))
      : await readSeries(options.input, itemsOf(), ingestOptions);
    const panel = readAsPanel(ingest, options, kind);
    series = panel ? splitAssets(ingest, options.assets) : [{ asset: ingest.asset ?? '', ingest }];
    return {
      meta: { file: basename(ingest.file), sha256: ingest.sha256, rowsRead: ingest.rowsRead },
      assetColumn: ingest.assetColumn,
      withoutMarketCap: builtIn && !ingest.fields.includes('marketCap'),
      panel,
    };
  })();
  const { withoutMarketCap, panel, assetColumn } = input;
  if (withoutMarketCap) sets = candidates(builtInCandidates({ marketCap: false }));
  const items = itemsOf();
  const assetCount = series!.length;
  lap('ingest');
  const settings: SeriesSettings = {
    input: options.input,
    trainRatio: options.trainRatio,
    refitEvery: options.refitEvery,
    target: options.target,
    selection: options.selection,
    screen: options.screen ?? 'auto',
    bootstrap: options.bootstrap ?? DEFAULT_SCREENING,
    horizon: options.horizon,
    levels: options.levels,
    calibrationWindow: options.calibrationWindow,
  };

  // Assets are planned, walked forward and scored in batches of about BATCH_VALUES feature values, so a
  // large panel never holds every asset's feature columns at once; only the scores and test rows stay.
  const scored: { asset: string; scoredSeries: ScoredSeries }[] = [];
  const skipped: SkippedAsset[] = [];
  const named = new Set(options.assets ?? []);
  let batch: { asset: string; work: SeriesWork }[] = [];
  let batchValues = 0;
  let done = 0;
  const progress = () => options.onProgress?.(++done, assetCount);
  // One pool of worker threads for every batch (started when a batch first needs it, ended below).
  const pool = experimentPool();
  const flush = async () => {
    const walks = batch.map(({ work }) => walkOf(work));
    lap('features');
    // A single series tells its walk-forward's share done (a panel tells assets done instead).
    const forecasts = await forecastSeries(walks, options.threads ?? 'auto', progress, pool, panel ? undefined : options.onWalkForward);
    lap('walkForward');
    batch.forEach(({ asset, work }, i) => {
      try {
        scored.push({ asset, scoredSeries: scoreSeries(work, forecasts[i], settings) });
      } catch (error) {
        if (!panel || !(error instanceof InputError)) throw error;
        throw new InputError(error.file, error.line, error.column, error.value, `${error.expected} (asset ${asset})`);
      }
    });
    lap('metrics');
    batch = [];
    batchValues = 0;
  };
  try {
    for (let k = 0; k < assetCount; k++) {
      const { asset } = series![k];
      const one = series![k].ingest;
      if (k === assetCount - 1) series = null;
      const sorted = prepareSeries(options.input, one, items, options.ingest);
      // The built-in ladder's high/low rung, when the input has open, high and low (docs/experiment.md#feature-sets).
      if (k === 0 && builtIn && hasHighLow(sorted.columns)) sets = candidates(builtInCandidates({ highLow: true, marketCap: !withoutMarketCap }));
      const planned = planSeries(sorted, sets, selecting, settings);
      if (planned.work) {
        batch.push({ asset, work: planned.work });
        batchValues += planned.work.rows.day.length * (2 + new Set(planned.work.rows.features.flat()).size);
        if (batchValues >= (options.batchValues ?? BATCH_VALUES)) await flush();
        continue;
      }
      if (!panel) throw new InputError(options.input, 0, null, null, planned.tooFew);
      if (named.has(asset)) throw new InputError(options.input, 0, assetColumn ?? 'asset', asset, `${planned.tooFew} for asset ${asset}, named by --assets`);
      const reason = tooFewRowsReason(planned.tooFew);
      skipped.push({ asset, reason });
      options.onSkip?.({ asset, reason });
      progress();
    }
    if (panel && scored.length === 0 && batch.length === 0) {
      throw new InputError(
        options.input,
        0,
        assetColumn ?? null,
        null,
        `at least one asset with enough rows for a walk-forward; all ${skipped.length} were skipped (${skipped[0]?.asset}: ${skipped[0]?.reason})`,
      );
    }
    if (batch.length > 0) await flush();
  } finally {
    await pool.close();
  }
  const common = {
    trainRatio: options.trainRatio,
    refitEvery: options.refitEvery,
    target: options.target,
    window: 'expanding' as const,
    baseline: 'persistence' as const,
  };

  if (panel) {
    const assets: AssetResult[] = scored.map(({ asset, scoredSeries }) => ({ asset, ...scoredSeries.score }));
    const results: PanelResults = {
      tool: 'pricecast',
      command: 'experiment',
      input: { ...input.meta, assetColumn: assetColumn ?? null },
      ...common,
      ...(options.calibrationWindow !== undefined && scored.some((s) => s.scoredSeries.score.horizons) ? { calibrationWindow: options.calibrationWindow } : {}),
      ...(withoutMarketCap ? { withoutMarketCap: true as const } : {}),
      assets,
      skipped,
      panel: panelSummary(options.input, assets, scored.map((s) => s.scoredSeries), settings),
    };
    const table = panelForecastTable(scored.map((s) => s.scoredSeries.table));
    lap('metrics');
    const outputDir = await writeFiles(options.output, () => renderPanelReport(results), results, table, lap);
    return { results, forecasts: table, outputDir, timings };
  }

  const { score, table } = scored[0].scoredSeries;
  const { screening, horizons, selection, selectionStart, ...head } = score;
  const results: ExperimentResults = {
    tool: 'pricecast',
    command: 'experiment',
    input: input.meta,
    ...common,
    ...head,
    ...(screening ? { screening } : {}),
    ...(horizons ? { horizons } : {}),
    ...(horizons && options.calibrationWindow !== undefined ? { calibrationWindow: options.calibrationWindow } : {}),
    ...(selection ? { selection, selectionStart } : {}),
    ...(withoutMarketCap ? { withoutMarketCap: true as const } : {}),
  };
  const outputDir = await writeFiles(options.output, () => renderReport(results, table), results, table, lap);
  return { results, forecasts: table, outputDir, timings };
}

/** The three files, by the crash-safe protocol (local or s3://); null when there is no output folder. */
async function writeFiles(
  output: string | undefined,
  report: () => Promise<string>,
  results: ExperimentResults | PanelResults,
  table: ForecastTable,
  lap: (stage: ExperimentStage) => void,
): Promise<string | null> {
  if (output === undefined) return null;
  const page = await report();
  lap('report');
  const files = { results: resultsJson(results), forecasts: encodeForecastsParquet(table), report: page };
  const dir = isS3Uri(output)
    ? (await (await import('../engine/output/s3Folder.js')).withS3Output(output, EXPERIMENT_LAYOUT, (local) => writeExperimentFolder(local, files))).uri
    : await writeExperimentFolder(output, files);
  lap('write');
  return dir;
}

/** Pretty JSON; non-finite numbers (no DM test, no price move) are written as null. */
export function resultsJson(results: ExperimentResults | PanelResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
