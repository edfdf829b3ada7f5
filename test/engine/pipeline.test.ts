/**
 * End to end through the library API: the default data in, Spark-layout Parquet out, read back with
 * hyparquet (an independent reader, not the parquet-wasm writer).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects, parquetSchema, parquetMetadataAsync } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDay } from '../../src/engine/ingest/dates.js';
import { InputError } from '../../src/engine/errors.js';
import { MIN_DISTINCT_DATES, runPipeline, type PipelineResult } from '../../src/engine/pipeline.js';
import { ROOT } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const DEFAULT_CSV = join(ROOT, 'fixtures', 'default.csv');
const scratch = useScratchFolder('pipeline');
let result: PipelineResult;

beforeAll(async () => {
  result = await runPipeline({ input: DEFAULT_CSV, output: join(scratch.dir, 'out') });
});
describe('runPipeline on the default data', () => {
  it('accounts for every row: read, deduped, cleaned, split', async () => {
    const { rows, input } = result.report;
    const csvLines = (await readFile(DEFAULT_CSV, 'utf8')).trim().split('\n').length - 1;
    expect(input.rowsRead).toBe(csvLines);
    expect(rows.afterDedupe).toBe(input.rowsRead - input.duplicateDatesCollapsed.count);
    expect(input.duplicateDatesCollapsed.count).toBe(1); // the generator's one repeated date
    expect(input.duplicateDatesCollapsed.first).toHaveLength(1);
    expect(rows.afterDropNulls).toBe(rows.afterDedupe - 14); // 13 warm-up rows + the last row
    expect(rows.train + rows.test).toBe(rows.afterDropNulls);
    // 70/30 in expectation; a Bernoulli split of ~985 rows lands within a few percent of it.
    expect(rows.test / rows.afterDropNulls).toBeGreaterThan(0.25);
    expect(rows.test / rows.afterDropNulls).toBeLessThan(0.35);
  });

  it('writes Spark\'s folder layout', async () => {
    const files = (await readdir(join(scratch.dir, 'out'))).sort();
    expect(files).toContain('_SUCCESS');
    expect(files).toContain('_model.json');
    const parts = files.filter((f) => /^part-00000-[0-9a-f-]{36}\.snappy\.parquet$/.test(f));
    expect(parts).toHaveLength(1);
    const model = JSON.parse(await readFile(join(scratch.dir, 'out', '_model.json'), 'utf8'));
    expect(model.tool).toBe('pricecast');
    expect(model.model.coefficients).toEqual(result.report.model.coefficients);
    // Nothing else was left beside it (the temporary sibling was renamed into place).
    expect((await readdir(scratch.dir)).sort()).toEqual(['out']);
  });

  it('writes Parquet that hyparquet reads back: schema, row count and values', async () => {
    const part = (await readdir(join(scratch.dir, 'out'))).find((f) => f.endsWith('.parquet'))!;
    const file = await asyncBufferFromFile(join(scratch.dir, 'out', part));
    const metadata = await parquetMetadataAsync(file);
    const schema = parquetSchema(metadata);
    const columns = schema.children.map((c) => c.element.name);
    expect(columns).toEqual(['date', 'price', 'volume', 'marketCap', 'rsi', 'next_price', 'prediction']);
    const date = schema.children[0].element;
    expect(date.type).toBe('INT32');
    expect(date.converted_type ?? date.logical_type?.type).toMatch(/DATE/);
    for (const child of schema.children.slice(1)) expect(child.element.type).toBe('DOUBLE');
    expect(Number(metadata.num_rows)).toBe(result.report.rows.test);

    const rows = await parquetReadObjects({ file });
    const p = result.predictions;
    expect(rows).toHaveLength(p.price.length);
    rows.forEach((row, i) => {
      expect((row.date as Date).toISOString().slice(0, 10)).toBe(formatDay(p.day[i]));
      expect(row.price).toBe(p.price[i]);
      expect(row.volume).toBe(p.volume[i]);
      expect(row.marketCap).toBe(p.marketCap[i]);
      expect(row.rsi).toBe(p.rsi[i]);
      expect(row.next_price).toBe(p.nextPrice[i]);
      expect(row.prediction).toBe(p.prediction[i]);
    });
    for (let i = 1; i < p.day.length; i++) expect(p.day[i]).toBeGreaterThan(p.day[i - 1]);
  });

  it('predicts with the fitted model: prediction = coefficients · features + intercept', () => {
    const { coefficients, intercept } = result.report.model;
    const p = result.predictions;
    for (let i = 0; i < p.price.length; i++) {
      const expected = p.price[i] * coefficients[0] + p.volume[i] * coefficients[1] + p.marketCap[i] * coefficients[2] + p.rsi[i] * coefficients[3] + intercept;
      expect(Math.abs(p.prediction[i] - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
    }
    // Next-day price is mostly today's price: the price coefficient dominates and the fit is good.
    expect(coefficients[0]).toBeGreaterThan(0.5);
    expect(result.report.training.r2).toBeGreaterThan(0.8);
  });

  it('is reproducible: the same seed gives the same split and model, another seed another split', async () => {
    const again = await runPipeline({ input: DEFAULT_CSV });
    expect(again.report.model).toEqual(result.report.model);
    expect(Array.from(again.predictions.day)).toEqual(Array.from(result.predictions.day));
    const other = await runPipeline({ input: DEFAULT_CSV, seed: 7 });
    expect(Array.from(other.predictions.day)).not.toEqual(Array.from(result.predictions.day));
  });

  it('time split: the test rows are the last dates', async () => {
    const timed = await runPipeline({ input: DEFAULT_CSV, split: 'time', trainRatio: 0.8 });
    const n = timed.report.rows.afterDropNulls;
    expect(timed.report.rows.train).toBe(Math.floor(n * 0.8));
    expect(timed.train.day[timed.train.day.length - 1]).toBeLessThan(timed.predictions.day[0]);
  });
});

describe('runPipeline on too little data', () => {
  it(`needs ${MIN_DISTINCT_DATES} distinct dates and says so`, async () => {
    const lines = ['date,price,volume,marketCap'];
    for (let i = 0; i < MIN_DISTINCT_DATES - 1; i++) lines.push(`2021-01-${String(i + 1).padStart(2, '0')},${1 + i * 0.01},100,1000`);
    const file = join(scratch.dir, 'short.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    const error = await runPipeline({ input: file }).catch((e) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(`at least ${MIN_DISTINCT_DATES} distinct dates`);
    expect(error.message).toContain(`found ${MIN_DISTINCT_DATES - 1}`);
  });
});
