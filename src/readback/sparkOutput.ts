/**
 * Reading a Spark-layout output folder back (ours or Spark's): every `part-*.parquet`, concatenated and
 * sorted by date, and the report from _model.json when there is one. Used by the parity comparison
 * (src/parity/compareFolder.ts: `pricecast parity` and `pricecast emr fetch --compare`), the benchmarks
 * and the tests; the engine itself only writes folders (src/engine/output/folder.ts).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../engine/errors.js';
import { MODEL_FILE, SUCCESS_FILE } from '../engine/output/folder.js';
import { decodePredictionsParquet } from '../engine/output/predictionsParquet.js';
import type { ModelReport, PredictionColumns } from '../engine/types.js';

/** `part-00000-<uuid>.snappy.parquet` (ours) and `part-00000-<uuid>-c000.snappy.parquet` (Spark's). */
const PART_FILE = /^part-.*\.parquet$/;

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
  // The feature columns _model.json lists (docs/features.md#feature-specs); without one, the default spec's.
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
