/**
 * `pricecast forecast` as a library call (docs/forecast.md), a chain of small stages:
 *
 *   loadForecastInput → cutAt(--as-of) → usableRows → per horizon: fitHorizon (walk-forward + the fit of
 *   every known label) → trackRecord → conformal bounds → the origin's partition of the forecast table
 *
 * On a panel (docs/forecast.md#panels) the chain from cutAt on runs per asset, each asset exactly as a
 * file of its rows alone, and every asset's rows go into the one partition of the run's origin date.
 *
 * Every refusal (bad input, too few rows, a level the history cannot support, an output that cannot be
 * replaced) happens before anything is written; an earlier table is then untouched.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { basename } from 'node:path';
import { InputError, UsageError } from '../engine/errors.js';
import { formatFeatureItem, parseFeatureSpec, type FeatureItem } from '../engine/features/spec.js';
import { formatDay, parseDay } from '../engine/ingest/dates.js';
import type { IngestOptions } from '../engine/ingest/input.js';
import { isS3Uri, withLocalInput } from '../engine/ingest/s3Input.js';
import type { Regularisation } from '../engine/model/wls.js';
import { tooFewRowsReason, type SkippedAsset } from '../engine/panel/assets.js';
import type { DailyColumns } from '../engine/types.js';
import type { Target } from '../experiment/target.js';
import { loadForecastInput, type AssetSeries, type ForecastInput, type InputShape } from './assets.js';
import { conformalRank, scoresNeeded } from './conformal.js';
import { MAX_HORIZON, STALE_AFTER_DAYS } from './defaults.js';
import { checkPartition, checkTableFolder, writePartition } from './partition.js';
import { cutAt, usableRows, type UsableRows } from './rows.js';
import type { S3Settings } from './s3Table.js';
import { encodeForecastParquet, type ForecastRow } from './table.js';
import { forecastRows, type HorizonForecast, type Plan } from './assetForecast.js';
import { forecastAsset, forecastAssetsInWorkers, FORECAST_WORKERS_MIN_ROWS } from './forecastWorkers.js';

export type { HorizonForecast };

export interface ForecastOptions {
  input: string;
  /** The set: a name (FEATURES_SET for --features) and its --features spec. */
  set: { name: string; spec: string; regularisation?: Regularisation };
  target: Target;
  horizon: number;
  levels: readonly number[];
  calibrationWindow?: number;
  trainRatio: number;
  refitEvery: number;
  /** YYYY-MM-DD: rows dated after it are ignored. */
  asOf?: string;
  /** The table folder; omitted: nothing is written. */
  output?: string;
  ingest?: IngestOptions;
  /** The settings that reproduce the run (written to _forecast.json). */
  settings?: Record<string, unknown>;
  /** Today (days since 1970-01-01, UTC) for the staleness check; default: the clock. */
  today?: number;
  /** How to reach an s3:// input or output (encryption, expected bucket owner, time-outs); default SSE-S3. */
  s3?: S3Settings;
  /** `--assets`: on a file with an asset column, only these assets; each one named must be forecast. */
  assets?: readonly string[];
  /** Called as a panel's assets are forecast: assets done, assets to do. */
  onProgress?: (done: number, total: number) => void;
}


export interface ForecastDocument {
  tool: 'pricecast';
  command: 'forecast';
  originDate: string;
  lastPrice: number;
  input: { file: string; sha256: string; rowsRead: number };
  set: { name: string; features: string[]; target: Target; regParam?: number; elasticNet?: number };
  asOf: string | null;
  trainRatio: number;
  refitEvery: number;
  calibrationWindow: number | null;
  levels: number[];
  /** Usable rows up to and including the origin. */
  rows: number;
  settings: Record<string, unknown>;
  horizons: HorizonForecast[];
}

export interface ForecastRun {
  document: ForecastDocument;
  /** Days between the origin and today when that is more than STALE_AFTER_DAYS (never with --as-of). */
  staleDays: number | null;
  /** The partition written, or null. */
  partitionDir: string | null;
}

/** Levels as given: each in (0, 1), none twice. */
export function checkLevels(levels: readonly number[]): void {
  const seen = new Set<number>();
  for (const level of levels) {
    if (!(level > 0 && level < 1)) throw new UsageError(`--level: expected each level strictly between 0 and 1, got ${level}`);
    if (seen.has(level)) throw new UsageError(`--level: ${level} is given twice`);
    seen.add(level);
  }
  if (levels.length === 0) throw new UsageError('--level: expected at least one level');
}

/** A panel's forecast of one asset: what a file of its rows alone would give (ForecastDocument's own fields). */
export interface AssetForecast {
  asset: string;
  lastPrice: number;
  /** Usable rows up to and including the origin. */
  rows: number;
  horizons: HorizonForecast[];
}

/** `_forecast.json` of a panel (docs/forecast.md#panels): one origin date, a forecast per asset, the skipped. */
export interface PanelForecastDocument {
  tool: 'pricecast';
  command: 'forecast';
  originDate: string;
  input: { file: string; sha256: string; rowsRead: number; assetColumn: string; assetsInFile: number };
  set: ForecastDocument['set'];
  asOf: string | null;
  trainRatio: number;
  refitEvery: number;
  calibrationWindow: number | null;
  levels: number[];
  settings: Record<string, unknown>;
  /** In the order of their names. */
  assets: AssetForecast[];
  skipped: SkippedAsset[];
}

export interface PanelForecastRun {
  document: PanelForecastDocument;
  staleDays: number | null;
  partitionDir: string | null;
}

/** What `pricecast forecast` runs: one series or a panel, as the input turns out to be. */
export type AnyForecastRun = ForecastRun | PanelForecastRun;

export function isPanelRun(run: AnyForecastRun): run is PanelForecastRun {
  return 'assets' in run.document;
}

/** One series (a file without an asset column, or with one asset in it); a panel is refused. */
export async function runForecast(options: ForecastOptions): Promise<ForecastRun> {
  return (await forecastAt(options, 'series')) as ForecastRun;
}

/** A panel (a file whose asset column names assets; one asset makes a panel of one). */
export async function runPanelForecast(options: ForecastOptions): Promise<PanelForecastRun> {
  return (await forecastAt(options, 'panel')) as PanelForecastRun;
}

/** Whichever the input is: a panel when its asset column names several assets, else one series. */
export async function runAnyForecast(options: ForecastOptions): Promise<AnyForecastRun> {
  return forecastAt(options, 'any');
}

async function forecastAt(options: ForecastOptions, as: InputShape): Promise<AnyForecastRun> {
  const remote = isS3Uri(options.input) || (options.output !== undefined && isS3Uri(options.output));
  if (!remote) return forecastWith(options, null, options.input, as);
  const settings = options.s3 ?? { encryption: { algorithm: 'AES256', kmsKeyId: null } };
  // The AWS SDK is loaded only for an s3:// input or output, never by a local run.
  const s3 = (await import('./s3Table.js')).s3Client(settings);
  const run = (input: string) => forecastWith({ ...options, input, s3: settings }, s3, options.input, as);
  return isS3Uri(options.input) ? withLocalInput(options.input, run, s3) : run(options.input);
}

/** The settings of a run, checked and parsed once (every asset of a panel shares them). */

function planOf(options: ForecastOptions): Plan {
  const { horizon: H, levels, trainRatio, refitEvery: K, target, calibrationWindow: W } = options;
  if (!Number.isInteger(H) || H < 1 || H > MAX_HORIZON) throw new UsageError(`--horizon: expected an integer from 1 to ${MAX_HORIZON}, got ${H}`);
  checkLevels(levels);
  if (W !== undefined && !(Number.isInteger(W) && W >= 1)) throw new UsageError(`--calibration-window: expected a positive integer, got ${W}`);
  if (!(trainRatio > 0 && trainRatio < 1)) throw new UsageError(`--train-ratio: expected a number strictly between 0 and 1, got ${trainRatio}`);
  if (!(Number.isInteger(K) && K >= 1)) throw new UsageError(`--refit-every: expected a positive integer, got ${K}`);
  const asOf = options.asOf === undefined ? undefined : parseDay(options.asOf);
  if (Number.isNaN(asOf)) throw new UsageError(`--as-of: expected a date YYYY-MM-DD, got "${options.asOf}"`);
  let items: FeatureItem[];
  try {
    items = parseFeatureSpec(options.set.spec);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`set "${options.set.name}": ${error.message}`);
    throw error;
  }
  return {
    items,
    featureNames: items.map((item) => item.column),
    horizon: H,
    levels,
    calibrationWindow: W,
    trainRatio,
    refitEvery: K,
    target,
    asOf,
    asOfText: options.asOf,
    regularisation: options.set.regularisation,
  };
}

/**
 * Why these usable rows cannot carry the forecast asked (as the `expected` of a one-line refusal), or
 * null: no usable row up to the origin; fewer than p + 2 rows in some horizon's first walk-forward
 * window (the smallest fit, as in the experiment); fewer walk-forward scores than a level needs. All
 * of it follows from the row count, so a panel knows which assets to skip before fitting any.
 */
function tooShort(series: DailyColumns, rows: UsableRows, plan: Plan): string | null {
  const N = rows.day.length;
  if (N === 0) {
    const { asOf, asOfText } = plan;
    const why = asOf !== undefined && series.day.length > 0 && series.day[0] > asOf
      ? `--as-of ${asOfText} is before the first row (${formatDay(series.day[0])})`
      : `--as-of ${asOfText ?? ''} leaves no row where every feature has a value`;
    return `a usable row on or before the origin: ${asOf === undefined ? 'no row has every feature' : why}`;
  }
  const o = N - 1;
  const originDate = formatDay(rows.day[o]);
  const p = plan.items.length;
  const { trainRatio, calibrationWindow: W } = plan;
  for (let h = 1; h <= plan.horizon; h++) {
    const M = o - h + 1;
    const firstWindow = Math.floor(M * trainRatio) - h + 1;
    if (firstWindow < p + 2) {
      return (
        `at least ${p + 2} fitting rows for ${p} features at horizon ${h}: ${N} usable rows up to ${originDate} leave ` +
        `${Math.max(0, M)} with a known label and ${Math.max(0, firstWindow)} in the first walk-forward window (train ratio ${trainRatio})`
      );
    }
  }
  for (let h = 1; h <= plan.horizon; h++) {
    const M = o - h + 1;
    const scores = M - Math.floor(M * trainRatio);
    const calibration = W === undefined ? scores : Math.min(W, scores);
    for (const level of plan.levels) {
      if (conformalRank(calibration, level) > calibration) {
        return (
          `a history long enough for a ${level} interval at horizon ${h}: ${scoresNeeded(level)} walk-forward scores are needed, ` +
          `${calibration} are available${W === undefined ? '' : ` (--calibration-window ${W})`}`
        );
      }
    }
  }
  return null;
}


/** The run's settings as `_forecast.json` gives them, one series or a panel, in this key order. */
function runSettingsOf(options: ForecastOptions, plan: Plan) {
  return {
    set: setOf(options, plan),
    asOf: options.asOf ?? null,
    trainRatio: plan.trainRatio,
    refitEvery: plan.refitEvery,
    calibrationWindow: plan.calibrationWindow ?? null,
    levels: [...plan.levels],
  };
}

/** The set as `_forecast.json` names it. */
function setOf(options: ForecastOptions, plan: Plan): ForecastDocument['set'] {
  return {
    name: options.set.name,
    features: plan.items.map(formatFeatureItem),
    target: plan.target,
    ...(options.set.regularisation && { regParam: options.set.regularisation.regParam, elasticNet: options.set.regularisation.elasticNetParam }),
  };
}

/** Days between the origin and today when that is more than STALE_AFTER_DAYS (never with --as-of). */
function staleDaysOf(options: ForecastOptions, originDay: number): number | null {
  const today = options.today ?? Math.floor(Date.now() / 86_400_000);
  const age = today - originDay;
  return options.asOf === undefined && age > STALE_AFTER_DAYS ? age : null;
}

/** The run itself; `s3` when the input or the output is on S3, `inputName` the input as the user named it. */
async function forecastWith(options: ForecastOptions, s3: S3Client | null, inputName: string, as: InputShape): Promise<AnyForecastRun> {
  const onS3 = options.output !== undefined && isS3Uri(options.output);
  const plan = planOf(options);
  if (options.output !== undefined && !onS3) await checkTableFolder(options.output);
  const input = await loadForecastInput(options.input, plan.items, options.ingest, options.assets, as);
  const table: TableTarget = { options, s3, onS3 };
  if (input.panel) return forecastPanel(input, plan, options, inputName, table);

  const sorted = input.series[0].sorted();
  const { ingest } = input;
  const rows = usableRows(cutAt(sorted.columns, plan.asOf), plan.items);
  const short = tooShort(sorted.columns, rows, plan);
  if (short !== null) throw new InputError(inputName, 0, null, null, short);
  const o = rows.day.length - 1;
  const originDate = formatDay(rows.day[o]);
  await checkTablePartition(table, originDate);

  const { horizons, tableRows } = forecastRows(rows, plan);
  const document: ForecastDocument = {
    tool: 'pricecast',
    command: 'forecast',
    originDate,
    lastPrice: rows.price[o],
    input: { file: basename(inputName), sha256: ingest.sha256, rowsRead: ingest.rowsRead },
    ...runSettingsOf(options, plan),
    rows: rows.day.length,
    settings: options.settings ?? {},
    horizons,
  };
  const partitionDir = await writeTablePartition(table, originDate, () => encodeForecastParquet(tableRows, plan.levels, options.set.name), forecastJson(document));
  return { document, staleDays: staleDaysOf(options, rows.day[o]), partitionDir };
}

/**
 * A panel (docs/forecast.md#panels): each asset forecast from its own rows exactly as a file of its
 * rows alone would be, all into one partition. The run's origin date is the newest last usable day of
 * the assets (after --as-of); an asset whose rows end earlier, or that has too few rows, is skipped with
 * its reason, unless --assets named it (then the run is refused). No asset left is bad input.
 */
async function forecastPanel(input: ForecastInput, plan: Plan, options: ForecastOptions, inputName: string, table: TableTarget): Promise<PanelForecastRun> {
  const { ingest } = input;
  const named = new Set(options.assets ?? []);
  const assetColumn = ingest.assetColumn ?? 'asset';
  const skipped: SkippedAsset[] = [];
  const skip = (asset: string, reason: string) => {
    if (named.has(asset)) throw new InputError(inputName, 0, assetColumn, asset, reason);
    skipped.push({ asset, reason: tooFewRowsReason(reason) });
  };
  // First every asset's last usable day and whether it is long enough, keeping none of its rows: a
  // panel of thousands of assets holds one asset's series at a time. Then the fits, on the same rows made again.
  const rowsOf = (series: AssetSeries) => {
    const sorted = series.sorted();
    return { sorted, rows: usableRows(cutAt(sorted.columns, plan.asOf), plan.items) };
  };
  let usable: { series: AssetSeries; asset: string; lastDay: number }[] = [];
  for (const series of input.series) {
    const { sorted, rows } = rowsOf(series);
    const short = tooShort(sorted.columns, rows, plan);
    if (short === null) usable.push({ series, asset: series.asset!, lastDay: rows.day[rows.day.length - 1] });
    else skip(series.asset!, short);
  }
  let originDay = -Infinity;
  for (const { lastDay } of usable) originDay = Math.max(originDay, lastDay);
  const originDate = usable.length > 0 ? formatDay(originDay) : '';
  for (const { asset, lastDay } of usable) {
    if (lastDay < originDay) {
      skip(asset, `rows up to the run's origin date ${originDate} (the newest asset's last usable day); its last usable day is ${formatDay(lastDay)}: --as-of ${formatDay(lastDay)} forecasts it from there`);
    }
  }
  usable = usable.filter(({ lastDay }) => lastDay === originDay);
  skipped.sort((a, b) => (a.asset < b.asset ? -1 : a.asset > b.asset ? 1 : 0));
  if (usable.length === 0) {
    const first = skipped[0];
    throw new InputError(
      inputName,
      0,
      null,
      null,
      `at least one asset with enough rows to forecast; all ${skipped.length} were skipped (${first.asset}: ${first.reason})`,
    );
  }
  await checkTablePartition(table, originDate);

  const assets: AssetForecast[] = [];
  const tableRows: ForecastRow[] = [];
  options.onProgress?.(0, usable.length);
  const advance = () => options.onProgress?.(++done, usable.length);
  let done = 0;
  // Assets are independent: a large panel is forecast on worker threads (docs/input.md#panels).
  const work = usable.map(({ series }) => ({ rows: series.rows, series: () => series.sorted().columns }));
  const results =
    usable.length > 1 && work.reduce((sum, w) => sum + w.rows, 0) >= FORECAST_WORKERS_MIN_ROWS
      ? await forecastAssetsInWorkers(work, plan, advance)
      : work.map((w) => {
          const one = forecastAsset(w.series(), plan);
          advance();
          return one;
        });
  usable.forEach(({ asset }, k) => {
    const one = results[k];
    assets.push({ asset, lastPrice: one.lastPrice, rows: one.rows, horizons: one.horizons });
    for (const row of one.tableRows) tableRows.push({ ...row, asset });
  });
  const document: PanelForecastDocument = {
    tool: 'pricecast',
    command: 'forecast',
    originDate,
    input: { file: basename(inputName), sha256: ingest.sha256, rowsRead: ingest.rowsRead, assetColumn, assetsInFile: ingest.assetNames?.length ?? 1 },
    ...runSettingsOf(options, plan),
    settings: options.settings ?? {},
    assets,
    skipped,
  };
  const partitionDir = await writeTablePartition(table, originDate, () => encodeForecastParquet(tableRows, plan.levels, options.set.name), forecastJson(document));
  return { document, staleDays: staleDaysOf(options, originDay), partitionDir };
}

/** Where the table is: a local folder or an s3:// prefix (or nowhere, without --output). */
interface TableTarget {
  options: ForecastOptions;
  s3: S3Client | null;
  onS3: boolean;
}

/** Before the work, once the origin is known: the partition of that day can be replaced. */
async function checkTablePartition({ options, s3, onS3 }: TableTarget, originDate: string): Promise<void> {
  if (options.output === undefined) return;
  if (onS3) await (await import('./s3Table.js')).checkS3Partition(s3!, options.output, originDate);
  else await checkPartition(options.output, originDate);
}

/** Writes (or replaces) the origin's partition; returns its path or URI, or null without --output. */
async function writeTablePartition({ options, s3, onS3 }: TableTarget, originDate: string, encode: () => Uint8Array, json: string): Promise<string | null> {
  if (options.output === undefined) return null;
  const parquet = encode();
  return onS3
    ? (await import('./s3Table.js')).writeS3Partition(s3!, options.s3!, options.output, originDate, parquet, json, contentUuid(parquet))
    : writePartition(options.output, originDate, parquet, json, contentUuid(parquet));
}

/** Pretty JSON; non-finite numbers (no DM test, no price move) are written as null. */
export function forecastJson(document: ForecastDocument | PanelForecastDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A UUID-shaped name from the file's bytes: re-running a day writes the same partition, byte for byte. */
function contentUuid(bytes: Uint8Array): string {
  const hex = createHash('sha256').update(bytes).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
