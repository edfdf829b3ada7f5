/**
 * The output folder in Spark's layout (SPEC.md section 7), written atomically:
 *
 *   DIR/part-00000-<uuid>.snappy.parquet   the predictions
 *   DIR/_model.json                         the ModelReport, pretty JSON (non-finite numbers → null)
 *   DIR/_SUCCESS                           empty, written last (Spark's commit marker)
 *
 * Everything is written into a temporary sibling `.<name>.tmp-<random>` (same parent, so the final
 * rename is atomic on one file system) and renamed into place. An existing DIR is replaced only if it
 * is a pricecast output (_model.json with `tool: "pricecast"`, and nothing in it that pricecast or
 * Spark did not write); it is renamed aside, the new folder renamed in, and only then removed. On any
 * failure the earlier output is put back and the temporary folder removed.
 *
 * Why `_model.json` and not SPEC.md's `model.json`: the SPEC also requires the folder to be readable by
 * Spark, pyarrow/pandas and DuckDB, and those readers take every file in a folder as data except names
 * starting with `_` or `.`. With a plain `model.json`, `spark.read.parquet(DIR)`, `pq.read_table(DIR)`
 * and `pd.read_parquet(DIR)` all fail ("not a Parquet file"); the underscore makes it metadata, like
 * `_SUCCESS`. test/independent.test.ts reads the folder with pyarrow and pandas.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { decodePredictionsParquet } from './parquet.js';
import type { ModelReport, PredictionColumns } from './types.js';

export const SUCCESS_FILE = '_SUCCESS';
export const MODEL_FILE = '_model.json';
/** `part-00000-<uuid>.snappy.parquet` (ours) and `part-00000-<uuid>-c000.snappy.parquet` (Spark's). */
const PART_FILE = /^part-.*\.parquet$/;
/** Files an output folder may hold and still count as ours: the layout above and Spark's `.crc` files. */
const OUTPUT_FILE = /^(?:part-.*\.parquet|_SUCCESS|_model\.json|\..*\.crc)$/;

export interface WriteSparkOutputOptions {
  /**
   * Called once the staging folder holds every file, just before it is renamed into place. A test
   * seam: throwing here is a failure at the worst moment, and must leave the earlier output intact.
   */
  beforeCommit?: (stagingDir: string) => void | Promise<void>;
}

/**
 * Pretty JSON with NaN/±Infinity as null: JSON.stringify itself writes every non-finite number as
 * null (ECMA-262 SerializeJSONProperty), so no replacer is passed. A replacer would be called for
 * every value, including each of the millions of collapsed dates a large intraday file reports, and
 * made this several times slower.
 */
function modelJson(report: ModelReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** Whether anything (file, folder, link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Throws UsageError unless `dir` is a folder holding an earlier pricecast output and nothing else: the
 * one rule for replacing a folder, used by the engine's writer and by `emr fetch`.
 */
export async function assertReplaceable(dir: string): Promise<void> {
  const refuse = (why: string) =>
    new UsageError(`${dir} exists and is not a pricecast output (${why}); refusing to replace it`);
  const stat = await lstat(dir);
  if (!stat.isDirectory()) throw refuse('it is not a folder');
  let report: unknown;
  try {
    report = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'));
  } catch {
    throw refuse(`no readable ${MODEL_FILE}`);
  }
  if ((report as { tool?: unknown } | null)?.tool !== 'pricecast') throw refuse(`${MODEL_FILE} was not written by pricecast`);
  const foreign = (await readdir(dir)).filter((name) => !OUTPUT_FILE.test(name));
  if (foreign.length > 0) throw refuse(`it also holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}`);
}

export async function writeSparkOutput(
  dir: string,
  parquetBytes: Uint8Array,
  report: ModelReport,
  options: WriteSparkOutputOptions = {},
): Promise<{ dir: string; partFile: string }> {
  const target = resolve(dir);
  const parent = dirname(target);
  const name = basename(target);
  const replacing = await exists(target);
  if (replacing) await assertReplaceable(target);

  const staging = join(parent, `.${name}.tmp-${randomSuffix()}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(staging);
  } catch (error) {
    throw new UsageError(`cannot write the output folder in ${parent}: ${(error as Error).message}`);
  }
  const partName = `part-00000-${randomUUID()}.snappy.parquet`;
  try {
    await writeFile(join(staging, partName), parquetBytes);
    await writeFile(join(staging, MODEL_FILE), modelJson(report));
    await writeFile(join(staging, SUCCESS_FILE), '');
    await options.beforeCommit?.(staging);

    if (replacing) {
      // Checked again: the folder may have changed since the first look.
      await assertReplaceable(target);
    }
    await commitFolder(staging, target, replacing);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { dir, partFile: join(dir, partName) };
}

/**
 * Puts a complete staging folder in place of `target` (used by the writer above and by `emr fetch`):
 * an earlier folder, already checked to be ours, is renamed aside, the staging folder renamed in, and
 * only then the old one removed; if the rename in fails, the earlier folder is put back. A failure to
 * remove the old folder does not undo a complete run: it is left as a hidden sibling.
 */
export async function commitFolder(staging: string, target: string, replacing: boolean): Promise<void> {
  let aside: string | null = null;
  if (replacing) {
    aside = join(dirname(target), `.${basename(target)}.old-${randomSuffix()}`);
    await rename(target, aside);
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (aside !== null) await rename(aside, target);
    throw error;
  }
  if (aside !== null) await rm(aside, { recursive: true, force: true }).catch(() => {});
}

/**
 * Reads a Spark-layout output folder (ours or Spark's): every `part-*.parquet`, concatenated and
 * sorted by date, and the report from _model.json when there is one.
 */
export async function readSparkOutput(
  dir: string,
): Promise<{ predictions: PredictionColumns; report: ModelReport | null; partFiles: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${dir}: no such output folder`);
    if (code === 'ENOTDIR') throw new UsageError(`${dir}: not a folder (expected a Spark output folder)`);
    throw error;
  }
  const partFiles = names.filter((n) => PART_FILE.test(n)).sort().map((n) => join(dir, n));
  if (partFiles.length === 0) throw new UsageError(`${dir}: no part-*.parquet files (not a Spark output folder)`);
  if (!names.includes(SUCCESS_FILE)) {
    throw new UsageError(`${dir}: no ${SUCCESS_FILE} file (the job that wrote it did not finish)`);
  }
  const report = names.includes(MODEL_FILE)
    ? (JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8')) as ModelReport)
    : null;
  // The feature columns _model.json lists (SPEC.md section 9); without one, the default spec's.
  const parts: PredictionColumns[] = [];
  for (const file of partFiles) parts.push(decodePredictionsParquet(await readFile(file), report?.features));
  return { predictions: sortByDate(concatenate(parts)), report, partFiles };
}

function concatenate(parts: PredictionColumns[]): PredictionColumns {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((sum, p) => sum + p.day.length, 0);
  const out = {} as Record<string, Int32Array | Float64Array>;
  for (const key of Object.keys(parts[0])) {
    const column = key === 'day' ? new Int32Array(total) : new Float64Array(total);
    let offset = 0;
    for (const p of parts) {
      column.set(p[key], offset);
      offset += p[key].length;
    }
    out[key] = column;
  }
  return out as unknown as PredictionColumns;
}

function sortByDate(p: PredictionColumns): PredictionColumns {
  const n = p.day.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = p.day[i - 1] <= p.day[i];
  if (sorted) return p;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => p.day[a] - p.day[b] || a - b);
  const out = {} as Record<string, Int32Array | Float64Array>;
  for (const key of Object.keys(p)) {
    const source = p[key];
    const column = key === 'day' ? new Int32Array(n) : new Float64Array(n);
    for (let k = 0; k < n; k++) column[k] = source[order[k]];
    out[key] = column;
  }
  return out as unknown as PredictionColumns;
}
