/**
 * `pricecast forecast` as a library call (docs/forecast.md), a chain of small stages:
 *
 *   loadSeries → cutAt(--as-of) → usableRows → per horizon: fitHorizon (walk-forward + the fit of every
 *   known label) → trackRecord → conformal bounds → the origin's partition of the forecast table
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
import type { Regularisation } from '../engine/model/wls.js';
import { loadSeries } from '../experiment/series.js';
import type { Target } from '../experiment/target.js';
import { conformalInterval, conformalRank, conformalWidth, conformityScore, scoresNeeded } from './conformal.js';
import { MAX_HORIZON, STALE_AFTER_DAYS } from './defaults.js';
import { fitHorizon } from './horizon.js';
import { checkPartition, checkTableFolder, writePartition } from './partition.js';
import { cutAt, horizonLabel, priceAhead, usableRows } from './rows.js';
import { isS3Uri, withLocalInput } from '../engine/ingest/s3Input.js';
import { checkS3Partition, s3Client, writeS3Partition, type S3Settings } from './s3Table.js';
import { encodeForecastParquet, type ForecastRow } from './table.js';
import { trackRecord, type TrackRecord } from './trackRecord.js';


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
}

export interface HorizonForecast {
  horizon: number;
  targetDate: string;
  forecast: number;
  bounds: { level: number; lower: number; upper: number; width: number }[];
  model: { coefficients: number[]; intercept: number; fittedRows: number };
  trackRecord: TrackRecord;
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

export async function runForecast(options: ForecastOptions): Promise<ForecastRun> {
  const remote = isS3Uri(options.input) || (options.output !== undefined && isS3Uri(options.output));
  if (!remote) return forecastWith(options, null);
  const settings = options.s3 ?? { encryption: { algorithm: 'AES256', kmsKeyId: null } };
  const s3 = s3Client(settings);
  const run = (input: string) => forecastWith({ ...options, input, s3: settings }, s3, options.input);
  return isS3Uri(options.input) ? withLocalInput(options.input, run, s3) : run(options.input);
}

/** The run itself; `s3` when the input or the output is on S3, `inputName` the input as the user named it. */
async function forecastWith(options: ForecastOptions, s3: S3Client | null, inputName = options.input): Promise<ForecastRun> {
  const onS3 = options.output !== undefined && isS3Uri(options.output);
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
  if (options.output !== undefined && !onS3) await checkTableFolder(options.output);

  const { ingest, sorted } = await loadSeries(options.input, items, options.ingest);
  const rows = usableRows(cutAt(sorted.columns, asOf), items);
  const N = rows.day.length;
  const file = inputName;
  if (N === 0) {
    const why = asOf !== undefined && sorted.columns.day.length > 0 && sorted.columns.day[0] > asOf!
      ? `--as-of ${options.asOf} is before the first row (${formatDay(sorted.columns.day[0])})`
      : `--as-of ${options.asOf ?? ''} leaves no row where every feature has a value`;
    throw new InputError(file, 0, null, null, `a usable row on or before the origin: ${asOf === undefined ? 'no row has every feature' : why}`);
  }
  const o = N - 1;
  const originDate = formatDay(rows.day[o]);
  const p = items.length;
  // The walk-forward's first window is the smallest fit: it needs p + 2 rows, as the experiment's does.
  for (let h = 1; h <= H; h++) {
    const M = o - h + 1;
    const firstWindow = Math.floor(M * trainRatio) - h + 1;
    if (firstWindow < p + 2) {
      throw new InputError(
        file,
        0,
        null,
        null,
        `at least ${p + 2} fitting rows for ${p} features at horizon ${h}: ${N} usable rows up to ${originDate} leave ` +
          `${Math.max(0, M)} with a known label and ${Math.max(0, firstWindow)} in the first walk-forward window (train ratio ${trainRatio})`,
      );
    }
  }
  if (options.output !== undefined) {
    if (onS3) await checkS3Partition(s3!, options.output, originDate);
    else await checkPartition(options.output, originDate);
  }

  const featureNames = items.map((item) => item.column);
  const horizons: HorizonForecast[] = [];
  const tableRows: ForecastRow[] = [];
  for (let h = 1; h <= H; h++) {
    const ahead = priceAhead(rows, h);
    const fit = fitHorizon(rows.features, rows.price, ahead, horizonLabel(target, rows.price, ahead), { horizon: h, trainRatio, refitEvery: K, target }, featureNames, options.set.regularisation);
    const { forecast, actual, price } = fit.history;
    const scores = Float64Array.from(forecast, (f, t) => conformityScore(f, actual[t], price[t]));
    const calibration = W === undefined ? scores : scores.subarray(Math.max(0, scores.length - W));
    const bounds = levels.map((level) => {
      if (conformalRank(calibration.length, level) > calibration.length) {
        throw new InputError(
          file,
          0,
          null,
          null,
          `a history long enough for a ${level} interval at horizon ${h}: ${scoresNeeded(level)} walk-forward scores are needed, ` +
            `${calibration.length} are available${W === undefined ? '' : ` (--calibration-window ${W})`}`,
        );
      }
      const width = conformalWidth(calibration, level);
      return { level, ...conformalInterval(fit.forecast, width, rows.price[o]), width };
    });
    const first = fit.firstOrigin;
    const last = first + forecast.length - 1;
    const record = trackRecord(
      fit,
      rows.price,
      forecast.length === 0 ? [null, null] : [formatDay(rows.day[first]), formatDay(rows.day[last])],
      levels,
      W,
    );
    const targetDay = rows.day[o] + h;
    horizons.push({ horizon: h, targetDate: formatDay(targetDay), forecast: fit.forecast, bounds, model: fit.model, trackRecord: record });
    tableRows.push({ horizon: h, targetDay, lastPrice: rows.price[o], forecast: fit.forecast, bounds });
  }

  const document: ForecastDocument = {
    tool: 'pricecast',
    command: 'forecast',
    originDate,
    lastPrice: rows.price[o],
    input: { file: basename(inputName), sha256: ingest.sha256, rowsRead: ingest.rowsRead },
    set: {
      name: options.set.name,
      features: items.map(formatFeatureItem),
      target,
      ...(options.set.regularisation && { regParam: options.set.regularisation.regParam, elasticNet: options.set.regularisation.elasticNetParam }),
    },
    asOf: options.asOf ?? null,
    trainRatio,
    refitEvery: K,
    calibrationWindow: W ?? null,
    levels: [...levels],
    rows: N,
    settings: options.settings ?? {},
    horizons,
  };
  const today = options.today ?? Math.floor(Date.now() / 86_400_000);
  const age = today - rows.day[o];
  const staleDays = options.asOf === undefined && age > STALE_AFTER_DAYS ? age : null;

  let partitionDir: string | null = null;
  if (options.output !== undefined) {
    const parquet = encodeForecastParquet(tableRows, levels, options.set.name);
    partitionDir = onS3
      ? await writeS3Partition(s3!, options.s3!, options.output, originDate, parquet, forecastJson(document), contentUuid(parquet))
      : await writePartition(options.output, originDate, parquet, forecastJson(document), contentUuid(parquet));
  }
  return { document, staleDays, partitionDir };
}

/** Pretty JSON; non-finite numbers (no DM test, no price move) are written as null. */
export function forecastJson(document: ForecastDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A UUID-shaped name from the file's bytes: re-running a day writes the same partition, byte for byte. */
function contentUuid(bytes: Uint8Array): string {
  const hex = createHash('sha256').update(bytes).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
