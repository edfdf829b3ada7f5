/**
 * The forecast table in the lake (docs/forecast.md#the-forecast-table): Spark's partitionBy("origin_date")
 * layout, one partition per origin day, so that daily runs add a day each and readers see one table:
 *
 *   DIR/origin_date=YYYY-MM-DD/part-00000-<uuid>.snappy.parquet
 *   DIR/origin_date=YYYY-MM-DD/_forecast.json     (written last: a partition holding it is complete)
 *   DIR/_SUCCESS
 *
 * A run replaces only its own partition, and does so by the engine's output protocol
 * (src/engine/output/folder.ts: lock, stage, swap, recovery by the next run, the replace rule) with the
 * partition folder as the protocol's folder. Its lock and staging names (`.origin_date=….lock`,
 * `.origin_date=….tmp-T`) start with a dot, which Spark, pyarrow, pandas and DuckDB skip, so a reader
 * mid-write sees the earlier partition or the new one. Nothing else in DIR is ever touched: other
 * partitions stay byte for byte, unknown files stay. `_SUCCESS` is (re)written after the partition.
 */
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { prepareOutput, SUCCESS_FILE, writeOutputFolder, type OutputLayout, type RecoveryReport } from '../engine/output/folder.js';

export const FORECAST_FILE = '_forecast.json';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PARTITION_NAME = `(?:part-\\d{5}-${UUID}(?:\\.c\\d{3}|-c\\d{3})?\\.snappy\\.parquet|_forecast\\.json)`;

/** A partition's files (and Hadoop's `.crc` checksums of them, which Spark may leave). */
export const FORECAST_PARTITION_LAYOUT: OutputLayout = {
  writer: 'pricecast forecast',
  fileName: new RegExp(`^(?:${PARTITION_NAME}|\\.${PARTITION_NAME}\\.crc)$`),
  completeFile: FORECAST_FILE,
  markerFile: FORECAST_FILE,
  marker: { tool: 'pricecast', command: 'forecast' },
};

/** `origin_date=YYYY-MM-DD`. */
export function partitionName(originDate: string): string {
  return `origin_date=${originDate}`;
}

/** DIR may be absent or a folder; anything else is refused before any work. */
export async function checkTableFolder(dir: string): Promise<void> {
  try {
    const info = await lstat(dir);
    if (!info.isDirectory()) throw new UsageError(`--output: ${dir} exists and is not a folder; refusing to write a forecast table there`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Before the computation, once the origin is known: the partition can be replaced (absent, or an
 * earlier forecast partition), no other run is writing it, an interrupted replace is repaired.
 */
export async function checkPartition(dir: string, originDate: string): Promise<RecoveryReport> {
  await checkTableFolder(dir);
  return prepareOutput(join(dir, partitionName(originDate)), FORECAST_PARTITION_LAYOUT);
}

/** Writes (or replaces) the partition of `originDate`, then DIR/_SUCCESS; returns the partition's path. */
export async function writePartition(dir: string, originDate: string, parquet: Uint8Array, forecastJson: string, partId: string): Promise<string> {
  await checkTableFolder(dir);
  await mkdir(dir, { recursive: true });
  const target = await writeOutputFolder(join(dir, partitionName(originDate)), FORECAST_PARTITION_LAYOUT, [
    { name: `part-00000-${partId}.snappy.parquet`, data: parquet },
    { name: FORECAST_FILE, data: forecastJson },
  ]);
  await writeFile(join(dir, SUCCESS_FILE), '');
  return target;
}
