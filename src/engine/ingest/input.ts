/**
 * The ingest stage's front door: what `--input` names, read once, in whichever form it comes.
 *
 *   -                    stdin, read once as CSV
 *   a regular file       Parquet if it starts with PAR1, else CSV (csv.ts, the fast scanner first)
 *   a folder             a Spark-style Parquet folder (parquetInput.ts)
 *   a pipe, FIFO, device read once as a CSV stream (never re-read: `--input <(cat f)` works)
 *
 * A path that cannot be read (no such file, a file where a folder is expected, no permission) is an
 * InputError naming the path: one line, exit 2. Then `prepareDaily` sorts,
 * de-duplicates and applies `--missing` (dedupe.ts, missing.ts).
 */
import type { ReadProgress } from '../output/progress.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readDailyCsv, type DailyIngest } from './csv.js';
import { sortAndDedupe, type DedupedDaily } from './days.js';
import { InputError } from '../errors.js';
import { findIndicator } from '../features/indicators/catalogue.js';
import type { LayoutOptions, NumericField } from './layouts.js';
import { fillMissing } from './missing.js';
import type { MissingPolicy, MissingReport } from '../types.js';
import { PARQUET_MAGIC, readDailyParquet } from './parquetInput.js';

/** Every ingest setting: the layout (format, columns, thousands, required) and `--missing`. */
export interface IngestOptions extends LayoutOptions {
  missing?: MissingPolicy;
  /** Rows read so far, for a long read (src/engine/output/progress.ts); not a setting, so ingestOptionsOf leaves it out. */
  readProgress?: ReadProgress;
}

/** The ingest settings out of a larger settings object (JobSettings, PipelineOptions). */
export function ingestOptionsOf(settings: IngestOptions): IngestOptions {
  const { format, columns, thousands, missing, required, marketCapOptional, ohlcCheck } = settings;
  return { format, columns, thousands, missing, required, marketCapOptional, ohlcCheck };
}

/** The name stdin is given in messages and in _model.json. */
export const STDIN_INPUT = '-';
const STDIN_LABEL = 'stdin';
const STREAM_CHUNK_BYTES = 1 << 20;

export async function readDailyInput(input: string, options: IngestOptions = {}): Promise<DailyIngest> {
  if (input === STDIN_INPUT) return readDailyCsv(STDIN_LABEL, { ...options, source: process.stdin });
  let stats;
  try {
    stats = await stat(input);
  } catch (error) {
    throw inputPathError(input, error);
  }
  if (stats.isDirectory()) return readDailyParquet(input, options);
  if (!stats.isFile()) {
    return readDailyCsv(input, { ...options, source: createReadStream(input, { highWaterMark: STREAM_CHUNK_BYTES }) });
  }
  if (await startsWithParquetMagic(input)) return readDailyParquet(input, options);
  return readDailyCsv(input, options);
}

/** Sort, dedupe, then the missing-value policy: the rows every later stage sees. */
export function prepareDaily(ingest: DailyIngest, policy: MissingPolicy = 'error'): { deduped: DedupedDaily; missing: MissingReport } {
  const deduped = sortAndDedupe(ingest.columns, ingest.seconds);
  checkOneDailySeries(ingest, deduped);
  return fillMissing(deduped, ingest, policy, ingest.columnNames);
}

/** Repeated days beyond this share (and count) mean the file is not one daily series. */
export const MAX_REPEATED_DAY_SHARE = 0.01;
export const MIN_REPEATED_DAYS_REFUSED = 3;

/**
 * More than 1% of the days (and at least 3) with several rows: several assets pasted under one header,
 * or intraday data. Collapsing them to one row a day would fit a model to nonsense, so it is bad input
 * (docs/input.md#not-one-daily-series).
 */
export function checkOneDailySeries(ingest: Pick<DailyIngest, 'file' | 'dateColumn'>, deduped: DedupedDaily): void {
  const repeated = deduped.collapsedDays.length;
  const days = deduped.columns.day.length;
  if (repeated >= MIN_REPEATED_DAYS_REFUSED && repeated > MAX_REPEATED_DAY_SHARE * days) {
    throw new InputError(
      ingest.file,
      0,
      ingest.dateColumn ?? 'date',
      null,
      `one row a day, give or take a repeated date: ${repeated} of the ${days} days have several rows (more than 1%), ` +
        'so this is several assets pasted together or intraday data, not one daily series; ' +
        'name the asset column with --columns asset=COL, or use a daily file',
    );
  }
}

async function startsWithParquetMagic(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === PARQUET_MAGIC;
  } catch (error) {
    throw inputPathError(file, error);
  } finally {
    await handle?.close();
  }
}

/** One line naming the path and what is wrong with it. */
export function inputPathError(input: string, error: unknown): InputError {
  const code = (error as NodeJS.ErrnoException).code;
  const expected: Record<string, string> = {
    ENOENT: 'an input file; there is no such file',
    ENOTDIR: 'an input file; a part of this path is a file, not a folder',
    EACCES: 'an input file that can be read; permission denied',
    EPERM: 'an input file that can be read; permission denied',
    ELOOP: 'an input file; this path is a loop of symbolic links',
    ENAMETOOLONG: 'an input file; this path is too long',
  };
  if (code === undefined) throw error;
  return new InputError(input, 0, null, null, expected[code] ?? `an input file that can be read; it failed with ${code}`);
}

/**
 * The numeric fields a feature spec needs from the file: price always (it is the label), the others
 * when an item is that column or an indicator that takes it (volume, open, high, low). A field outside this set may be
 * absent (`--columns date=Date,price=Close,volume=Volume` for a Yahoo download, `--features price,volume,rsi`).
 */
export function requiredInputs(items: ReadonlyArray<{ fn: string }>): NumericField[] {
  const uses = (field: NumericField) =>
    items.some((item) => item.fn === field || (findIndicator(item.fn)?.inputs as readonly string[] | undefined)?.includes(field));
  return ['price', ...(['volume', 'marketCap', 'open', 'high', 'low'] as const).filter(uses)];
}

/**
 * A path that can be read twice (the parity run reads its input with the engine, then with Spark): stdin,
 * a pipe or a FIFO is copied once into `dir` and the copy's path returned; a file or folder is returned
 * as it is.
 */
export async function inputReadableTwice(input: string, dir: string): Promise<string> {
  if (input !== STDIN_INPUT) {
    try {
      const stats = await stat(input);
      if (stats.isFile() || stats.isDirectory()) return input;
    } catch (error) {
      throw inputPathError(input, error);
    }
  }
  const copy = join(dir, input === STDIN_INPUT ? 'stdin.csv' : `${basename(input) || 'input'}.csv`);
  await pipeline(input === STDIN_INPUT ? process.stdin : createReadStream(input), createWriteStream(copy));
  return copy;
}
