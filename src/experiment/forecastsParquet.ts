/**
 * forecasts.parquet: one row per test row, in date order: `date` (DATE), `price`, `next_price`,
 * `persistence`, then one DOUBLE column per set, named after it. Written with the engine's packages
 * (apache-arrow builds the table from the typed arrays, parquet-wasm writes it, snappy), as
 * src/engine/parquet.ts writes the predictions, so Spark, pyarrow/pandas and DuckDB read it.
 */
import { DateDay, Field, Float64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, type Data } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { PERSISTENCE } from './sets.js';

export interface ForecastTable {
  day: Int32Array;
  price: Float64Array;
  nextPrice: Float64Array;
  persistence: Float64Array;
  /** Per set, in the given order. */
  sets: { name: string; forecasts: Float64Array }[];
}

export function encodeForecastsParquet(table: ForecastTable): Uint8Array {
  const length = table.day.length;
  const doubles: [string, Float64Array][] = [
    ['price', table.price],
    ['next_price', table.nextPrice],
    [PERSISTENCE, table.persistence],
    ...table.sets.map((s): [string, Float64Array] => [s.name, s.forecasts]),
  ];
  // apache-arrow's IPC writer merges body buffers that share an ArrayBuffer (see engine/parquet.ts):
  // a column whose memory an earlier one already uses is copied.
  const seen = new Set<ArrayBufferLike>();
  const own = <T extends Int32Array | Float64Array>(values: T): T => {
    if (seen.has(values.buffer)) return values.slice() as T;
    seen.add(values.buffer);
    return values;
  };
  const fields: Field[] = [new Field('date', new DateDay(), true)];
  const children: Data[] = [makeData({ type: new DateDay(), length, data: own(table.day) })];
  for (const [name, values] of doubles) {
    if (values.length !== length) throw new Error(`column ${name} has ${values.length} rows, date has ${length}`);
    fields.push(new Field(name, new Float64(), true));
    children.push(makeData({ type: new Float64(), length, data: own(values) }));
  }
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length, children }));
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(new Table(schema, [batch]), 'stream'));
  return writeParquet(wasmTable, new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setDictionaryEnabled(false).build());
}
