/**
 * The hand-written Parquet writer (src/engine/output/parquetFile.ts) and its snappy compressor
 * (src/engine/output/snappy.ts), checked against independent readers: hyparquet's snappy decoder and Parquet
 * reader (JavaScript), parquet-wasm (Rust), pyarrow (C++), DuckDB, and Spark itself, each reading the same
 * files back: values, nulls, types, several row groups and pages, and the statistics (a filter that
 * prunes row groups by min/max gives the right count only if they are right).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../fixtures/generate.js';
import { decodePredictionsParquet, encodePredictionsParquet } from '../../../src/engine/output/predictionsParquet.js';
import { encodeParquet, type ParquetColumn } from '../../../src/engine/output/parquetFile.js';
import { snappyCompress } from '../../../src/engine/output/snappy.js';
import { ensurePythonEnv, type PythonEnv } from '../../../src/parity/pyenv.js';
import { runPython } from '../../helpers/python.js';

function uncompress(compressed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  snappyUncompress(compressed, out);
  return out;
}

/** Test inputs: empty, tiny, block-edge sizes, incompressible, repetitive, mixed, long runs. */
function snappyInputs(): Array<[string, Uint8Array]> {
  const random = new SeededRandom(3);
  const noise = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random.nextDouble() * 256));
  const text = new TextEncoder().encode('2024-01-01,1.5,123.25,1500000000\n'.repeat(5000));
  const doubles = new Float64Array(40_000).map((_, i) => 1.5 + Math.sin(i) * 0.1);
  const mixed = new Uint8Array(200_000);
  for (let i = 0; i < mixed.length; i++) mixed[i] = i % 1000 < 500 ? Math.floor(random.nextDouble() * 4) : i & 0xff;
  return [
    ['empty', new Uint8Array(0)],
    ['one byte', Uint8Array.of(7)],
    ['15 bytes (below the match margin)', noise(15)],
    ['16 bytes', noise(16)],
    ['64 KiB of noise (one block)', noise(65_536)],
    ['64 KiB + 1 of noise (two blocks)', noise(65_537)],
    ['repeated CSV text', text],
    ['doubles', new Uint8Array(doubles.buffer)],
    ['zeros (long copies)', new Uint8Array(300_001)],
    ['mixed runs', mixed],
  ];
}

describe('snappyCompress', () => {
  it('round-trips through hyparquet\'s decoder, and compresses what is compressible', () => {
    for (const [name, input] of snappyInputs()) {
      const compressed = snappyCompress(input);
      expect(Buffer.from(uncompress(compressed, input.length)).equals(Buffer.from(input)), name).toBe(true);
      expect(compressed.length, name).toBeLessThanOrEqual(32 + input.length + input.length / 6);
    }
    const [, text] = snappyInputs().find(([name]) => name === 'repeated CSV text')!;
    expect(snappyCompress(text).length).toBeLessThan(text.length / 10);
    expect(snappyCompress(new Uint8Array(300_001)).length).toBeLessThan(300_001 / 15);
  });
});

describe('encodeParquet read back by JavaScript readers', () => {
  const days = Int32Array.of(-141_427, -1, 0, 1, 19_000, 2_932_896); // 1582-10-15 … 9999-12-31
  const doubles = Float64Array.of(1.5, NaN, -0, 5e-324, -1.7976931348623157e308, 0.1);

  it('writes nulls for NaN and reads back every value exactly (hyparquet, parquet-wasm)', async () => {
    const bytes = encodeParquet([
      { name: 'date', type: 'date', values: days },
      { name: 'x', type: 'double', values: doubles },
    ], { rowGroupRows: 4, pageRows: 3 });
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    expect(Number(metadata.num_rows)).toBe(6);
    expect(metadata.row_groups.length).toBe(2);
    const rows = await parquetReadObjects({ file });
    expect(rows.map((r) => r.x)).toEqual([1.5, null, -0, 5e-324, -1.7976931348623157e308, 0.1]);
    expect(Object.is(rows[2].x, -0)).toBe(true);
    expect(rows.map((r) => (r.date as Date).toISOString().slice(0, 10))).toEqual([
      '1582-10-15', '1969-12-31', '1970-01-01', '1970-01-02', '2022-01-08', '9999-12-31',
    ]);
  });

  it('encodePredictionsParquet output decodes to the same columns (parquet-wasm)', () => {
    const n = 1000;
    const random = new SeededRandom(9);
    const column = () => Float64Array.from({ length: n }, () => random.nextDouble() * 1e6 - 1e3);
    const p = {
      day: Int32Array.from({ length: n }, (_, i) => 18_000 + i * 2),
      price: column(), volume: column(), marketCap: column(), rsi: column(), nextPrice: column(), prediction: column(),
    };
    p.rsi[17] = NaN;
    const back = decodePredictionsParquet(encodePredictionsParquet(p));
    expect(Array.from(back.day)).toEqual(Array.from(p.day));
    for (const key of ['price', 'volume', 'marketCap', 'nextPrice', 'prediction', 'rsi'] as const) {
      expect(Array.from(back[key]), key).toEqual(Array.from(p[key]));
    }
  });

  it('refuses columns of different lengths and non-positive sizes', () => {
    expect(() => encodeParquet([
      { name: 'a', type: 'date', values: Int32Array.of(1, 2) },
      { name: 'b', type: 'double', values: Float64Array.of(1) },
    ])).toThrow(/column b has 1 rows/);
    expect(() => encodeParquet([{ name: 'a', type: 'date', values: Int32Array.of(1) }], { pageRows: 0 })).toThrow(RangeError);
  });
});

describe('encodeParquet read back by pyarrow, DuckDB and Spark', () => {
  let env: PythonEnv;
  let work: string;
  const n = 5000;
  let columns: ParquetColumn[];
  let file: string;

  beforeAll(async () => {
    env = await ensurePythonEnv();
    work = await mkdtemp(join(tmpdir(), 'pricecast-parquetfile-'));
    const random = new SeededRandom(21);
    const day = Int32Array.from({ length: n }, (_, i) => -140_000 + i * 7);
    const price = Float64Array.from({ length: n }, () => 1 + random.nextDouble() * 100);
    const withNulls = Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 || (i > 3000 && i < 3100) ? NaN : random.nextDouble() - 0.5));
    const allNull = new Float64Array(n).fill(NaN);
    allNull.fill(0, 4000); // the last row group has values (zeros: min -0.0, max +0.0), the others none
    columns = [
      { name: 'date', type: 'date', values: day },
      { name: 'price', type: 'double', values: price },
      { name: 'sparse', type: 'double', values: withNulls },
      { name: 'late', type: 'double', values: allNull },
    ];
    file = join(work, 'table.snappy.parquet');
    await writeFile(file, encodeParquet(columns, { rowGroupRows: 2000, pageRows: 300 }));
  }, 600_000);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const python = (script: string, args: string[] = []): Promise<string> => runPython(env, ['-c', script, ...args]);

  /** The expected rows: dates as YYYY-MM-DD, NaN as null. */
  function expectedRows(): Array<Record<string, string | number | null>> {
    return Array.from({ length: n }, (_, i) => {
      const row: Record<string, string | number | null> = {};
      for (const c of columns) {
        const v = c.values[i];
        row[c.name] = c.type === 'date' ? new Date(v * 86_400_000).toISOString().slice(0, 10) : Number.isNaN(v) ? null : v;
      }
      return row;
    });
  }
  const countAbove = (threshold: number) => Array.from(columns[1].values).filter((v) => v > threshold).length;

  it('pyarrow: schema, every value, and statistics per row group', async () => {
    const out = JSON.parse(await python(`
import json, sys, pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
stats = []
for g in range(f.metadata.num_row_groups):
    group = []
    for c in range(f.metadata.num_columns):
        s = f.metadata.row_group(g).column(c).statistics
        iso = lambda v: v.isoformat() if hasattr(v, "isoformat") else v
        group.append({"nulls": s.null_count, "min": iso(s.min) if s.has_min_max else None, "max": iso(s.max) if s.has_min_max else None})
    stats.append(group)
rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in t.to_pylist()]
print(json.dumps({"schema": [str(x.type) for x in t.schema], "nullable": [x.nullable for x in t.schema], "rows": rows, "stats": stats}))
`, [file]));
    expect(out.schema).toEqual(['date32[day]', 'double', 'double', 'double']);
    expect(out.nullable).toEqual([true, true, true, true]);
    expect(out.rows).toEqual(expectedRows());
    expect(out.stats.length).toBe(3);
    // parquet.thrift: a zero minimum is written as -0.0, a zero maximum as +0.0.
    expect(Object.is(out.stats[2][3].min, -0) && Object.is(out.stats[2][3].max, 0)).toBe(true);
    out.stats.forEach((group: Array<{ nulls: number; min: unknown; max: unknown }>, g: number) => {
      const from = g * 2000;
      const to = Math.min(n, from + 2000);
      group.forEach((s, c) => {
        const values = Array.from(columns[c].values.subarray(from, to)).filter((v) => !Number.isNaN(v));
        expect(s.nulls, `group ${g} column ${c}`).toBe(to - from - values.length);
        if (values.length === 0) {
          expect(s.min).toBeNull();
          return;
        }
        const min = Math.min(...values);
        const max = Math.max(...values);
        if (columns[c].type === 'date') {
          expect(s.min).toBe(new Date(min * 86_400_000).toISOString().slice(0, 10));
          expect(s.max).toBe(new Date(max * 86_400_000).toISOString().slice(0, 10));
        } else {
          expect(s.min === min && s.max === max, `group ${g} column ${c}: ${s.min}..${s.max} vs ${min}..${max}`).toBe(true);
        }
      });
    });
  }, 120_000);

  it('DuckDB: every value, and a filter that prunes row groups by their statistics', async () => {
    const threshold = 60;
    const out = JSON.parse(await python(`
import json, sys, duckdb
rel = duckdb.sql(f"select * from read_parquet('{sys.argv[1]}') order by date")
names = rel.columns
rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(names, r)} for r in rel.fetchall()]
above = duckdb.sql(f"select count(*) from read_parquet('{sys.argv[1]}') where price > {sys.argv[2]}").fetchall()[0][0]
late = duckdb.sql(f"select count(*) from read_parquet('{sys.argv[1]}') where late = 0").fetchall()[0][0]
print(json.dumps({"rows": rows, "above": above, "late": late}))
`, [file, String(threshold)]));
    expect(out.rows).toEqual(expectedRows());
    expect(out.above).toBe(countAbove(threshold));
    expect(out.late).toBe(1000);
  }, 120_000);

  it('Spark: every value, and a pushed-down filter', async () => {
    const threshold = 42.5;
    const out = JSON.parse(await python(`
import json, sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]").appName("parquetfile-test").config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
try:
    frame = spark.read.parquet(sys.argv[1])
    rows = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.asDict().items()} for r in frame.orderBy("date").collect()]
    above = frame.where(frame.price > float(sys.argv[2])).count()
    print(json.dumps({"schema": frame.schema.simpleString(), "rows": rows, "above": above}))
finally:
    spark.stop()
`, [file, String(threshold)]));
    expect(out.schema).toBe('struct<date:date,price:double,sparse:double,late:double>');
    expect(out.rows).toEqual(expectedRows());
    expect(out.above).toBe(countAbove(threshold));
  }, 300_000);

  it("pyarrow's snappy (Google's C++ library) decompresses the compressor's output", async () => {
    const inputs = snappyInputs().filter(([name]) => name !== 'empty');
    const payload = inputs.map(([, input]) => ({
      compressed: Buffer.from(snappyCompress(input)).toString('base64'),
      length: input.length,
    }));
    const listFile = join(work, 'snappy.json');
    await writeFile(listFile, JSON.stringify(payload));
    const out = JSON.parse(await python(`
import base64, json, sys, pyarrow as pa
items = json.load(open(sys.argv[1]))
print(json.dumps([base64.b64encode(pa.decompress(base64.b64decode(i["compressed"]), i["length"], codec="snappy").to_pybytes()).decode() for i in items]))
`, [listFile]));
    inputs.forEach(([name, input], k) => expect(out[k], name).toBe(Buffer.from(input).toString('base64')));
  }, 120_000);
});
