/**
 * forecasts.parquet: one row per test row, in date order: `date` (DATE), `price`, `next_price`,
 * `persistence`, then one DOUBLE column per set, named after it. A panel's table holds every asset's
 * test rows, asset after asset in name order, with a first column `asset_index` (DOUBLE: the asset's
 * position in results.json `assets`, from 0; the writer has no string column) and NaN (null) where an
 * asset has no set of that name. Written by the engine's own Parquet
 * writer (src/engine/output/parquetFile.ts), as the predictions are, so Spark, pyarrow/pandas and DuckDB read it.
 */
import { encodeParquet, type ParquetColumn } from '../engine/output/parquetFile.js';
import { PERSISTENCE } from './sets.js';

export interface ForecastTable {
  /** A panel's: each row's asset, as its index in results.json `assets`. */
  assetIndex?: Float64Array;
  day: Int32Array;
  price: Float64Array;
  nextPrice: Float64Array;
  persistence: Float64Array;
  /** Per set, in the given order. */
  sets: { name: string; forecasts: Float64Array }[];
}

export function encodeForecastsParquet(table: ForecastTable): Uint8Array {
  const doubles: [string, Float64Array][] = [
    ['price', table.price],
    ['next_price', table.nextPrice],
    [PERSISTENCE, table.persistence],
    ...table.sets.map((s): [string, Float64Array] => [s.name, s.forecasts]),
  ];
  const columns: ParquetColumn[] = [
    ...(table.assetIndex ? [{ name: 'asset_index', type: 'double', values: table.assetIndex } as const] : []),
    { name: 'date', type: 'date', values: table.day },
    ...doubles.map(([name, values]): ParquetColumn => ({ name, type: 'double', values })),
  ];
  return encodeParquet(columns);
}
