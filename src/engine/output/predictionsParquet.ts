/**
 * The predictions as Parquet (docs/output.md): written by parquetfile.ts (the format written directly
 * from the typed-array columns), read with parquet-wasm (the Rust `parquet` crate compiled to
 * WebAssembly) into apache-arrow, which reads any writer's files, Spark's included.
 *
 * Schema, as Spark writes the reference job's output: `date` DATE (INT32 days), then one DOUBLE column per
 * feature in spec order (the default spec's: `price`, `volume`, `marketCap`, `rsi`), `next_price` and
 * `prediction` DOUBLE, all nullable (Spark's columns are `optional`); NaN in a column is written as
 * null, and null reads back as NaN (types.ts: NaN marks a null).
 *
 * Both functions are synchronous: parquet-wasm is loaded, synchronously, on the first read
 * (parquetwasm.ts), so a run that only writes never pays for instantiating it.
 */
import { DateDay, tableFromIPC, type Data, type DataType, type Vector } from 'apache-arrow';
import { parquetWasm } from './parquetWasm.js';
import { encodeParquet, type ParquetColumn } from './parquetFile.js';
import { FEATURE_NAMES, type PredictionColumns } from '../types.js';

/** Parquet column name → PredictionColumns key, in the file's column order, for these feature columns. */
export function predictionParquetColumns(features: readonly string[]): Array<[string, string]> {
  return [['date', 'day'], ...features.map((name): [string, string] => [name, name]), ['next_price', 'nextPrice'], ['prediction', 'prediction']];
}

/** The default spec's layout: date, price, volume, marketCap, rsi, next_price, prediction. */
export const PREDICTION_PARQUET_COLUMNS = predictionParquetColumns(FEATURE_NAMES);

/** The feature columns of a predictions table: its keys other than day, nextPrice and prediction, in order. */
function featureKeys(p: PredictionColumns): string[] {
  return Object.keys(p).filter((key) => key !== 'day' && key !== 'nextPrice' && key !== 'prediction');
}

/**
 * @param features the feature columns in spec order; default: the table's own key order
 */
export function encodePredictionsParquet(p: PredictionColumns, features: readonly string[] = featureKeys(p)): Uint8Array {
  const columns: ParquetColumn[] = [];
  for (const [name, key] of predictionParquetColumns(features)) {
    if (key === 'day') {
      columns.push({ name, type: 'date', values: p.day });
    } else {
      const column = p[key];
      if (!(column instanceof Float64Array)) throw new Error(`no column ${key} in the predictions`);
      columns.push({ name, type: 'double', values: column });
    }
  }
  // The fixed-schema writer of parquetfile.ts (PLAIN + snappy, no dictionary): ~4x faster than Arrow IPC
  // into parquet-wasm on the 10M benchmark's 750k test rows (bench/RESULTS.md).
  return encodeParquet(columns);
}

/**
 * Reads a predictions file, ours or Spark's (INT32 DATE, nullable columns, any number of row groups),
 * into typed-array columns: dates as Int32 days, nulls as NaN. Columns are found by name; other columns
 * are ignored.
 *
 * @param features the feature columns to read (_model.json's `features`); default: the default spec's
 */
export function decodePredictionsParquet(bytes: Uint8Array, features: readonly string[] = FEATURE_NAMES): PredictionColumns {
  const table = tableFromIPC(parquetWasm().readParquet(bytes).intoIPCStream());
  const length = table.numRows;
  const out = {} as PredictionColumns;
  for (const [name, key] of predictionParquetColumns(features)) {
    const vector = table.getChild(name);
    if (vector === null) {
      const found = table.schema.fields.map((f) => f.name).join(', ');
      throw new Error(`the Parquet file has no column "${name}" (it has ${found})`);
    }
    if (key === 'day') out.day = dateDays(vector, name, length);
    else out[key] = doubles(vector, length);
  }
  return out;
}

function dateDays(vector: Vector, name: string, length: number): Int32Array {
  if (!DateDay.isDate(vector.type)) {
    throw new Error(`the Parquet column "${name}" is ${String(vector.type)}, expected a DATE`);
  }
  const days = new Int32Array(length);
  let offset = 0;
  for (const chunk of vector.data as Data<DataType>[]) {
    if (chunk.nullCount > 0) throw new Error(`the Parquet column "${name}" has null dates`);
    const values = chunk.values as Int32Array | BigInt64Array;
    if (values instanceof Int32Array) {
      days.set(values.subarray(chunk.offset, chunk.offset + chunk.length), offset);
    } else {
      // DateMillisecond (Arrow Date64): milliseconds since the epoch.
      for (let i = 0; i < chunk.length; i++) days[offset + i] = Number(values[chunk.offset + i]) / 86_400_000;
    }
    offset += chunk.length;
  }
  return days;
}

function doubles(vector: Vector, length: number): Float64Array {
  const out = new Float64Array(length);
  let offset = 0;
  for (const chunk of vector.data as Data<DataType>[]) {
    if (chunk.values instanceof Float64Array && chunk.nullCount === 0) {
      out.set(chunk.values.subarray(chunk.offset, chunk.offset + chunk.length), offset);
    } else {
      // Nulls, or another numeric type (FLOAT): element by element, null → NaN.
      for (let i = 0; i < chunk.length; i++) {
        const value = chunk.getValid(i) ? (chunk.values[chunk.offset + i] as number | bigint) : null;
        out[offset + i] = value === null ? NaN : Number(value);
      }
    }
    offset += chunk.length;
  }
  return out;
}
