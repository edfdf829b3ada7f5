/**
 * The reference PySpark job (pyspark/price_regression.py) run for real: spark-submit in local mode from
 * the project's own Python environment (provisioned here through ensurePythonEnv).
 *
 * The input is made here from a small seeded formula, written in a scrambled file order with one date
 * repeated, so that each expectation comes from the data itself or from docs/, not from the job:
 * sorting by date, keeping the later of two rows for a date, next_price = the next date's price, RSI-14
 * by docs/features.md#rsi's formula, predictions = intercept + coefficients · features, the output layout
 * and _model.json's shape (ModelReport), bad input (exit 2, one stderr line, nothing written), and the
 * output folder rules of section 7.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelReport } from '../../src/engine/types.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runSparkJob, type SparkJobResult } from '../../src/parity/spark.js';

// ---- the input: a seeded formula ------------------------------------------------------------------

const DAYS = 200;
const FIRST_DAY = Date.UTC(2021, 0, 1);
/** The day written twice: first a stale snapshot (early in the file), then the real row (later). */
const REPEATED_DAY = 190;
const STALE_PRICE = 999;

interface Day {
  date: string;
  price: number;
  volume: number;
  marketCap: number;
}

/** mulberry32: a tiny, well-known seeded generator; values in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeDays(options: { constantVolume?: boolean } = {}): Day[] {
  const random = seeded(7);
  const days: Day[] = [];
  let price = 2;
  let supply = 1e7;
  for (let t = 0; t < DAYS; t++) {
    price *= 1 + 0.06 * (random() - 0.5);
    supply += 1000 + 500 * random();
    const volume = options.constantVolume ? 5e5 : 1e6 * (0.5 + random());
    days.push({
      date: new Date(FIRST_DAY + t * 86_400_000).toISOString().slice(0, 10),
      price,
      volume,
      marketCap: price * supply,
    });
  }
  return days;
}

/** The CSV: header, the stale row for REPEATED_DAY, then every day in a seeded scrambled order. */
function writeCsv(path: string, days: Day[], columns = ['date', 'price', 'volume', 'marketCap']): void {
  const order = days.map((_, i) => i);
  const random = seeded(11);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const row = (d: Day) => columns.map((c) => String(d[c as keyof Day])).join(',');
  const stale = { ...days[REPEATED_DAY], price: STALE_PRICE, volume: 1 };
  const lines = [columns.join(','), row(stale), ...order.map((i) => row(days[i]))];
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** docs/features.md#rsi, written out from its pseudo-code (the same expressions, in the same order). */
function rsi14(prices: number[]): number[] {
  const a = 1 / 14;
  let up = 0;
  let dn = 0;
  return prices.map((p, i) => {
    const d = i === 0 ? 0 : p - prices[i - 1];
    const gain = Math.max(d, 0);
    const loss = Math.max(-d, 0);
    up = i === 0 ? gain : (1 - a) * up + a * gain;
    dn = i === 0 ? loss : (1 - a) * dn + a * loss;
    if (i < 13) return NaN;
    return dn === 0 ? 100 : 100 - 100 / (1 + up / dn);
  });
}

// ---- the output -------------------------------------------------------------------------------------

interface OutputRow {
  date: string;
  price: number;
  volume: number;
  marketCap: number;
  rsi: number;
  next_price: number;
  prediction: number;
}

async function readOutput(dir: string): Promise<{ rows: OutputRow[]; report: ModelReport; files: string[] }> {
  const files = readdirSync(dir);
  const parts = files.filter((f) => /^part-00000-.*\.snappy\.parquet$/.test(f));
  expect(parts).toHaveLength(1);
  const bytes = readFileSync(join(dir, parts[0]));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const objects = await parquetReadObjects({ file: buffer });
  const rows = objects.map((o) => ({ ...o, date: (o.date as Date).toISOString().slice(0, 10) }) as OutputRow);
  const report = JSON.parse(readFileSync(join(dir, '_model.json'), 'utf8')) as ModelReport;
  return { rows, report, files };
}

type Shape = 'string' | 'string|null' | 'number' | 'string[]' | 'number[]' | 'number[]|null' | 'object[]' | { [key: string]: Shape };
type ShapeOf<T> = { [K in keyof T]-?: T[K] extends string ? 'string' : T[K] extends string | null ? 'string|null' : Exclude<T[K], undefined> extends number ? 'number'
  : T[K] extends string[] ? 'string[]' : T[K] extends number[] ? 'number[]'
  : T[K] extends number[] | null ? 'number[]|null' : NonNullable<T[K]> extends object[] ? 'object[]' : ShapeOf<T[K]> };

/** ModelReport's keys, as the compiler checks them against src/engine/types.ts (every key, no extra). */
const MODEL_REPORT_SHAPE: ShapeOf<ModelReport> = {
  tool: 'string',
  engine: 'string',
  input: {
    file: 'string',
    sha256: 'string',
    rowsRead: 'number',
    duplicateDatesCollapsed: { count: 'number', first: 'string[]', severalSnapshots: 'number' },
    asset: 'string|null',
    ohlcInconsistentRows: 'number',
    layout: 'string',
    missing: { policy: 'string', cells: { price: 'number', volume: 'number', marketCap: 'number' }, rowsDropped: 'number' },
  },
  seed: 'number',
  split: 'string',
  trainRatio: 'number',
  rows: { afterDedupe: 'number', afterDropNulls: 'number', train: 'number', test: 'number', droppedForPsar: 'number' },
  features: 'string[]',
  featureSpecs: 'object[]',
  model: { featureNames: 'string[]', coefficients: 'number[]', intercept: 'number', solver: 'string', regParam: 'number', elasticNetParam: 'number' },
  training: {
    numInstances: 'number',
    degreesOfFreedom: 'number',
    coefficientStandardErrors: 'number[]|null',
    tValues: 'number[]|null',
    pValues: 'number[]|null',
    r2: 'number',
    r2adj: 'number',
    meanSquaredError: 'number',
    rootMeanSquaredError: 'number',
    meanAbsoluteError: 'number',
    explainedVariance: 'number',
  },
  test: { numInstances: 'number', rootMeanSquaredError: 'number', meanAbsoluteError: 'number', r2: 'number' },
};

function expectShape(value: unknown, shape: Shape, path = '_model.json'): void {
  const isNumbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (shape === 'string' || shape === 'number') expect(typeof value, path).toBe(shape);
  else if (shape === 'string|null') expect(value === null || typeof value === 'string', path).toBe(true);
  else if (shape === 'string[]') expect(Array.isArray(value) && value.every((x) => typeof x === 'string'), path).toBe(true);
  else if (shape === 'number[]') expect(isNumbers(value), path).toBe(true);
  else if (shape === 'number[]|null') expect(value === null || isNumbers(value), path).toBe(true);
  else if (shape === 'object[]') expect(Array.isArray(value) && value.every((x) => typeof x === 'object' && x !== null), path).toBe(true);
  else {
    expect(typeof value === 'object' && value !== null, path).toBe(true);
    expect(Object.keys(value as object).sort(), path).toEqual(Object.keys(shape).sort());
    for (const [key, inner] of Object.entries(shape)) expectShape((value as Record<string, unknown>)[key], inner, `${path}.${key}`);
  }
}

function closeTo(actual: number, expected: number, relative: number): boolean {
  return Math.abs(actual - expected) <= relative * Math.max(Math.abs(expected), 1e-300);
}

function describeRun(result: SparkJobResult): string {
  return `exit ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

// ---- the runs ---------------------------------------------------------------------------------------

let work: string;
const days = makeDays();
const byDate = new Map(days.map((d, i) => [d.date, i]));
const expectedRsi = rsi14(days.map((d) => d.price));

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-spark-job-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the reference job on a scrambled 200-day file with a repeated date', () => {
  let input: string;
  let output: string;
  let random: { rows: OutputRow[]; report: ModelReport; files: string[] };

  beforeAll(async () => {
    input = join(work, 'daily.csv');
    // Columns in a non-standard order: they are found by name.
    writeCsv(input, days, ['marketCap', 'date', 'volume', 'price']);
    output = join(work, 'out');
    const result = await runSparkJob({ input, output, seed: 42 });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/train/);
    random = await readOutput(output);
  });

  it("writes Spark's folder layout: one part file, _SUCCESS, _model.json", () => {
    expect(random.files).toContain('_SUCCESS');
    expect(random.files).toContain('_model.json');
    expect(random.files.filter((f) => f.startsWith('part-'))).toHaveLength(1);
  });

  it('writes a _model.json with exactly the ModelReport keys and types', () => {
    expectShape(random.report, MODEL_REPORT_SHAPE as unknown as Shape);
    const { report } = random;
    expect(report.tool).toBe('pricecast');
    expect(report.engine).toBe('pyspark');
    expect(report.seed).toBe(42);
    expect(report.split).toBe('random');
    expect(report.trainRatio).toBe(0.7);
    expect(report.features).toEqual(['price', 'volume', 'marketCap', 'rsi']);
    expect(report.model.featureNames).toEqual(['price', 'volume', 'marketCap', 'rsi']);
    expect(report.model.coefficients).toHaveLength(4);
    expect(report.model.solver).toBe('cholesky');
    // Spark's summary arrays carry the intercept last: 4 coefficients + 1.
    expect(report.training.coefficientStandardErrors).toHaveLength(5);
    expect(report.training.tValues).toHaveLength(5);
    expect(report.training.pValues).toHaveLength(5);
  });

  it('describes the input: base name, sha256 of its bytes, rows read, the repeated date', () => {
    const { input: described } = random.report;
    expect(described.file).toBe('daily.csv');
    expect(described.sha256).toBe(createHash('sha256').update(readFileSync(input)).digest('hex'));
    expect(described.rowsRead).toBe(DAYS + 1);
    expect(described.duplicateDatesCollapsed).toEqual({ count: 1, first: [days[REPEATED_DAY].date], severalSnapshots: 0 });
  });

  it('counts rows as docs/output.md defines them', () => {
    const { rows, training, test } = random.report;
    expect(rows.afterDedupe).toBe(DAYS);
    // 13 RSI warm-up rows and the last day (no next price) go.
    expect(rows.afterDropNulls).toBe(DAYS - 13 - 1);
    expect(rows.train + rows.test).toBe(rows.afterDropNulls);
    expect(rows.train).toBeGreaterThan(rows.test);
    expect(training.numInstances).toBe(rows.train);
    expect(training.degreesOfFreedom).toBe(rows.train - 4 - 1);
    expect(test.numInstances).toBe(rows.test);
    expect(random.rows).toHaveLength(rows.test);
  });

  it('writes the test rows in date order, each with its own inputs and the next date as label', () => {
    const dates = random.rows.map((r) => r.date);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(dates.length);
    for (const row of random.rows) {
      const i = byDate.get(row.date)!;
      expect(i, row.date).toBeGreaterThanOrEqual(13);
      expect(i, row.date).toBeLessThan(DAYS - 1);
      // Exactly the file's numbers (doubles, not floats; price not swapped with marketCap, pyspark/README.md).
      expect(row.price).toBe(days[i].price);
      expect(row.volume).toBe(days[i].volume);
      expect(row.marketCap).toBe(days[i].marketCap);
      expect(row.next_price).toBe(days[i + 1].price);
    }
  });

  it('computes RSI-14 in date order as docs/features.md#rsi defines it', () => {
    for (const row of random.rows) {
      expect(closeTo(row.rsi, expectedRsi[byDate.get(row.date)!], 1e-12), row.date).toBe(true);
    }
  });

  it('predicts intercept + coefficients · [price, volume, marketCap, rsi]', () => {
    const { coefficients, intercept } = random.report.model;
    for (const row of random.rows) {
      const features = [row.price, row.volume, row.marketCap, row.rsi];
      const expected = features.reduce((sum, x, j) => sum + coefficients[j] * x, intercept);
      expect(closeTo(row.prediction, expected, 1e-9), row.date).toBe(true);
    }
  });

  describe('time split, over the earlier output', () => {
    let time: { rows: OutputRow[]; report: ModelReport; files: string[] };

    beforeAll(async () => {
      // Same output folder: an earlier output of this tool may be replaced (docs/output.md).
      const result = await runSparkJob({ input, output, split: 'time', trainRatio: 0.7 });
      expect(result.exitCode, describeRun(result)).toBe(0);
      time = await readOutput(output);
    });

    it('replaced the earlier output', () => {
      expect(time.report.split).toBe('time');
      expect(time.files.filter((f) => f.startsWith('part-'))).toHaveLength(1);
    });

    it('tests on the dates after the first floor(n * r)', () => {
      const n = DAYS - 14;
      const train = Math.floor(n * 0.7);
      expect(time.report.rows.train).toBe(train);
      expect(time.report.rows.test).toBe(n - train);
      // Cleaned row k is day k + 13: the test rows are days 13 + train .. DAYS - 2.
      const expectedDates = days.slice(13 + train, DAYS - 1).map((d) => d.date);
      expect(time.rows.map((r) => r.date)).toEqual(expectedDates);
    });

    it('kept the LATER row of the repeated date (its day and the day before are both test rows here)', () => {
      const repeated = time.rows.find((r) => r.date === days[REPEATED_DAY].date)!;
      const before = time.rows.find((r) => r.date === days[REPEATED_DAY - 1].date)!;
      expect(repeated.price).toBe(days[REPEATED_DAY].price);
      expect(repeated.volume).toBe(days[REPEATED_DAY].volume);
      expect(before.next_price).toBe(days[REPEATED_DAY].price);
    });
  });
});

describe('bad input and output folders', () => {
  it('bad input: exit 2, one stderr line naming file, line and column, nothing written', async () => {
    const input = join(work, 'negative-volume.csv');
    const lines = ['date,price,volume,marketCap', ...days.map((d) => `${d.date},${d.price},${d.volume},${d.marketCap}`)];
    // Line 37 of the file (the header is line 1).
    lines[36] = `${days[35].date},${days[35].price},-5,${days[35].marketCap}`;
    writeFileSync(input, `${lines.join('\n')}\n`);
    const output = join(work, 'bad-out');
    const result = await runSparkJob({ input, output });
    expect(result.exitCode, describeRun(result)).toBe(2);
    const errorLines = result.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(errorLines).toEqual([`${input}:37: column volume: expected a volume >= 0 (got "-5")`]);
    expect(existsSync(output)).toBe(false);
  });

  it('too few dates: exit 2 with the count needed', async () => {
    const input = join(work, 'short.csv');
    const lines = ['date,price,volume,marketCap', ...days.slice(0, 23).map((d) => `${d.date},${d.price},${d.volume},${d.marketCap}`)];
    writeFileSync(input, `${lines.join('\n')}\n`);
    const result = await runSparkJob({ input, output: join(work, 'short-out') });
    expect(result.exitCode, describeRun(result)).toBe(2);
    expect(result.stderr).toMatch(/at least 24 distinct dates.*found 23/);
    expect(existsSync(join(work, 'short-out'))).toBe(false);
  });

  it('refuses to replace a folder that is not an earlier output, and leaves it as it was', async () => {
    const input = join(work, 'plain.csv');
    writeCsv(input, days);
    const output = join(work, 'not-ours');
    mkdirSync(output);
    writeFileSync(join(output, 'notes.txt'), 'keep me');
    const result = await runSparkJob({ input, output });
    expect(result.exitCode, describeRun(result)).toBe(2);
    expect(result.stderr).toMatch(/is not a pricecast output \(it also holds notes\.txt\)/);
    expect(readdirSync(output)).toEqual(['notes.txt']);
    expect(readFileSync(join(output, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('a constant feature: Spark falls back from Cholesky, statistics unavailable, its coefficient 0', async () => {
    const input = join(work, 'constant-volume.csv');
    writeCsv(input, makeDays({ constantVolume: true }));
    const output = join(work, 'constant-out');
    const result = await runSparkJob({ input, output });
    expect(result.exitCode, describeRun(result)).toBe(0);
    const { report } = await readOutput(output);
    expect(report.model.solver).toBe('fallback');
    expect(report.model.coefficients[1]).toBe(0);
    expect(report.training.coefficientStandardErrors).toBeNull();
    expect(report.training.tValues).toBeNull();
    expect(report.training.pValues).toBeNull();
  });
});
