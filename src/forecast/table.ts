/**
 * The forecast table's rows for one origin (docs/forecast.md#the-forecast-table): one row per horizon
 * (per asset and horizon on a panel, docs/forecast.md#panels),
 *
 *   [asset (STRING),] horizon (INT32), target_date (DATE), last_price, forecast, lower_<L>, upper_<L>
 *   per level (DOUBLE), set (STRING)
 *
 * and no origin_date column: as with Spark's partitionBy, the partition folder's name carries it. The
 * engine's own Parquet writer knows only DATE and DOUBLE columns, so this small file goes through
 * Arrow and parquet-wasm (snappy, as Spark writes).
 */
import { DateDay, Float64, Int32, Table, tableToIPC, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import { parquetWasm } from '../engine/output/parquetWasm.js';
import { levelSuffix } from './conformal.js';

export interface ForecastRow {
  /** A panel's rows carry their asset (all rows of a file do, or none). */
  asset?: string;
  horizon: number;
  /** Days since 1970-01-01. */
  targetDay: number;
  lastPrice: number;
  forecast: number;
  /** Per level, in the order of `levels`. */
  bounds: { lower: number; upper: number }[];
}

/** The table's column names, in order; a panel's start with `asset`. */
export function forecastColumns(levels: readonly number[], panel = false): string[] {
  return [
    ...(panel ? ['asset'] : []),
    'horizon',
    'target_date',
    'last_price',
    'forecast',
    ...levels.flatMap((level) => [`lower_${levelSuffix(level)}`, `upper_${levelSuffix(level)}`]),
    'set',
  ];
}

export function encodeForecastParquet(rows: readonly ForecastRow[], levels: readonly number[], setName: string): Uint8Array {
  const doubles = (pick: (row: ForecastRow) => number) => vectorFromArray(rows.map(pick), new Float64());
  const columns: Record<string, Vector> = {
    ...(rows.length > 0 && rows[0].asset !== undefined && { asset: vectorFromArray(rows.map((r) => r.asset!), new Utf8()) }),
    horizon: vectorFromArray(rows.map((r) => r.horizon), new Int32()),
    target_date: vectorFromArray(
      rows.map((r) => new Date(r.targetDay * 86_400_000)),
      new DateDay(),
    ),
    last_price: doubles((r) => r.lastPrice),
    forecast: doubles((r) => r.forecast),
  };
  levels.forEach((level, i) => {
    columns[`lower_${levelSuffix(level)}`] = doubles((r) => r.bounds[i].lower);
    columns[`upper_${levelSuffix(level)}`] = doubles((r) => r.bounds[i].upper);
  });
  columns.set = vectorFromArray(rows.map(() => setName), new Utf8());
  const { Table: WasmTable, WriterPropertiesBuilder, Compression, writeParquet } = parquetWasm();
  const properties = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).build();
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(new Table(columns), 'stream')), properties);
}
