/**
 * Parquet encode/decode: our round trip, and the written bytes read by hyparquet (an independent
 * reader written in plain JavaScript, sharing no code with parquet-wasm): schema, types, codec, row
 * count, values, nulls. Then files shaped like Spark's (several row groups, other column order, extra
 * columns, nulls) decoded into the same columns.
 */
import {
  DateDay,
  Field,
  Float64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import {
  decodePredictionsParquet,
  encodePredictionsParquet,
  PREDICTION_PARQUET_COLUMNS,
} from '../../../src/engine/output/predictionsParquet.js';
import type { PredictionColumns } from '../../../src/engine/types.js';

const MS_PER_DAY = 86_400_000;
const dayOf = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY;

/** Three hand-written rows; rsi's first value is a null (NaN), as before the RSI warm-up ends. */
function sample(): PredictionColumns {
  return {
    day: Int32Array.from(['2021-01-01', '2021-01-05', '2024-02-29'].map(dayOf)),
    price: Float64Array.of(1.5, 0.1 + 0.2, 1e-300),
    volume: Float64Array.of(0, 123456789.125, 1e20),
    marketCap: Float64Array.of(0, 5e9, 7.25),
    rsi: Float64Array.of(NaN, 100, 33.333333333333336),
    nextPrice: Float64Array.of(0.30000000000000004, 1e-300, 2),
    prediction: Float64Array.of(-1.5, Number.MAX_VALUE, Number.MIN_VALUE),
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function expectSameColumns(actual: PredictionColumns, expected: PredictionColumns): void {
  expect(actual.day).toBeInstanceOf(Int32Array);
  for (const [, key] of PREDICTION_PARQUET_COLUMNS) {
    expect(actual[key].constructor).toBe(expected[key].constructor);
    expect(Array.from(actual[key] as ArrayLike<number>)).toEqual(Array.from(expected[key] as ArrayLike<number>));
  }
}

describe('encodePredictionsParquet', () => {
  const bytes = encodePredictionsParquet(sample());

  it('writes a Parquet file (magic bytes at both ends)', () => {
    const magic = Buffer.from('PAR1');
    expect(Buffer.from(bytes.subarray(0, 4))).toEqual(magic);
    expect(Buffer.from(bytes.subarray(bytes.length - 4))).toEqual(magic);
  });

  it('has the schema Spark writes, snappy-compressed, as hyparquet reads it', () => {
    const metadata = parquetMetadata(toArrayBuffer(bytes));
    const schema = parquetSchema(metadata);
    expect(schema.children.map((c) => c.element.name)).toEqual([
      'date',
      'price',
      'volume',
      'marketCap',
      'rsi',
      'next_price',
      'prediction',
    ]);
    const [date, ...doubles] = schema.children.map((c) => c.element);
    expect(date.type).toBe('INT32');
    expect(date.logical_type?.type ?? date.converted_type).toBe('DATE');
    for (const element of doubles) expect(element.type).toBe('DOUBLE');
    for (const element of [date, ...doubles]) expect(element.repetition_type).toBe('OPTIONAL');
    expect(Number(metadata.num_rows)).toBe(3);
    for (const group of metadata.row_groups) {
      for (const column of group.columns) expect(column.meta_data?.codec).toBe('SNAPPY');
    }
  });

  it('holds the values exactly, and NaN as null, as hyparquet reads them', async () => {
    const rows = await parquetReadObjects({ file: toArrayBuffer(bytes) });
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => (r.date as Date).toISOString().slice(0, 10))).toEqual(['2021-01-01', '2021-01-05', '2024-02-29']);
    expect(rows.map((r) => r.price)).toEqual([1.5, 0.30000000000000004, 1e-300]);
    expect(rows.map((r) => r.volume)).toEqual([0, 123456789.125, 1e20]);
    expect(rows.map((r) => r.marketCap)).toEqual([0, 5e9, 7.25]);
    expect(rows.map((r) => r.rsi)).toEqual([null, 100, 33.333333333333336]);
    expect(rows.map((r) => r.next_price)).toEqual([0.30000000000000004, 1e-300, 2]);
    expect(rows.map((r) => r.prediction)).toEqual([-1.5, Number.MAX_VALUE, Number.MIN_VALUE]);
  });

  it('round-trips through decodePredictionsParquet (null back to NaN)', () => {
    expectSameColumns(decodePredictionsParquet(bytes), sample());
  });

  it('writes columns that share one array (apache-arrow would merge their IPC buffers)', async () => {
    const n = 1000;
    const price = Float64Array.from({ length: n }, (_v, i) => i / 4);
    const big = Float64Array.from({ length: 2 * n }, (_v, i) => -i);
    const shared: PredictionColumns = {
      day: Int32Array.from({ length: n }, (_v, i) => i),
      price,
      volume: big.subarray(0, n),
      marketCap: big.subarray(n),
      rsi: Float64Array.from({ length: n }, () => 50),
      nextPrice: price,
      prediction: price,
    };
    const bytes = encodePredictionsParquet(shared);
    expectSameColumns(decodePredictionsParquet(bytes), shared);
    const rows = await parquetReadObjects({ file: toArrayBuffer(bytes) });
    expect(rows[n - 1]).toMatchObject({ price: (n - 1) / 4, volume: -(n - 1), marketCap: -(2 * n - 1), rsi: 50, next_price: (n - 1) / 4, prediction: (n - 1) / 4 });
  });

  it('writes and reads zero rows', () => {
    const empty: PredictionColumns = {
      day: new Int32Array(0),
      price: new Float64Array(0),
      volume: new Float64Array(0),
      marketCap: new Float64Array(0),
      rsi: new Float64Array(0),
      nextPrice: new Float64Array(0),
      prediction: new Float64Array(0),
    };
    const decoded = decodePredictionsParquet(encodePredictionsParquet(empty));
    expect(decoded.day.length).toBe(0);
    expect(decoded.prediction.length).toBe(0);
  });

  it('refuses columns of different lengths', () => {
    const bad = { ...sample(), rsi: Float64Array.of(1) };
    expect(() => encodePredictionsParquet(bad)).toThrow(/rsi has 1 rows, date has 3/);
  });
});

describe('decodePredictionsParquet on Spark-shaped files', () => {
  /**
   * A file as another writer might lay it out: an extra string column first, the columns in another
   * order, nulls in `next_price`, and at most `rowsPerGroup` rows per row group.
   */
  function foreignFile(p: PredictionColumns, rowsPerGroup: number): Uint8Array {
    const n = p.day.length;
    const order = ['prediction', 'date', 'next_price', 'rsi', 'marketCap', 'volume', 'price'] as const;
    const keyOf = Object.fromEntries(PREDICTION_PARQUET_COLUMNS) as Record<string, keyof PredictionColumns>;
    const fields: Field[] = [new Field('symbol', new Utf8(), true)];
    const children: Data[] = [vectorFromArray(Array.from({ length: n }, () => 'ALGO'), new Utf8()).data[0]];
    for (const name of order) {
      const key = keyOf[name];
      if (key === 'day') {
        fields.push(new Field(name, new DateDay(), true));
        children.push(makeData({ type: new DateDay(), length: n, data: p.day }));
      } else {
        fields.push(new Field(name, new Float64(), true));
        children.push(vectorFromArray(Array.from(p[key], (v) => (Number.isNaN(v) ? null : v)), new Float64()).data[0]);
      }
    }
    const schema = new Schema(fields);
    const table = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children }))]);
    const properties = new WriterPropertiesBuilder()
      .setCompression(Compression.SNAPPY)
      .setMaxRowGroupSize(rowsPerGroup)
      .build();
    return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), properties);
  }

  it('reads every row group, finds columns by name and turns nulls into NaN', () => {
    const n = 10;
    const p: PredictionColumns = {
      day: Int32Array.from({ length: n }, (_v, i) => 18_000 + i),
      price: Float64Array.from({ length: n }, (_v, i) => 1 + i / 8),
      volume: Float64Array.from({ length: n }, (_v, i) => 1000 * i),
      marketCap: Float64Array.from({ length: n }, (_v, i) => 5e9 + i),
      rsi: Float64Array.from({ length: n }, (_v, i) => 10 * i),
      nextPrice: Float64Array.from({ length: n }, (_v, i) => (i === n - 1 || i === 4 ? NaN : 1 + (i + 1) / 8)),
      prediction: Float64Array.from({ length: n }, (_v, i) => -i),
    };
    const bytes = foreignFile(p, 3);
    expect(parquetMetadata(toArrayBuffer(bytes)).row_groups.length).toBe(4); // 3 + 3 + 3 + 1 rows
    expectSameColumns(decodePredictionsParquet(bytes), p);
  });

  it('names a missing column', () => {
    const schema = new Schema([new Field('date', new DateDay(), false)]);
    const table = new Table(schema, [
      new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 1, children: [makeData({ type: new DateDay(), length: 1, data: Int32Array.of(1) })] })),
    ]);
    const bytes = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')));
    expect(() => decodePredictionsParquet(bytes)).toThrow(/no column "price" \(it has date\)/);
  });
});
