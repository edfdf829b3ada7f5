/**
 * The parity suite (docs/parity.md): the same input and seed through the real PySpark job (spark-submit,
 * local mode, the project's pinned env) and through the TypeScript engine, compared row by row.
 * For each case: identical test-row sets, RSI within 1e-12 relative, predictions, coefficients and
 * every summary statistic within 1e-9 relative (compareOutputs in src/parity/compare.ts holds the
 * tolerances; the report is printed when a case fails).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/engine/errors.js';
import { MIN_DISTINCT_DATES, runPipeline } from '../../src/engine/pipeline.js';
import { formatParityReport } from '../../src/parity/compare.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runParity, type ParityOptions } from '../../src/parity/run.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { DEFAULT_CSV, constantColumn, generated, repeatedDates, shuffledDefault } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('parity');
beforeAll(async () => {
  await ensurePythonEnv();
});
async function expectParity(options: Partial<ParityOptions> & { input: string }) {
  const outcome = await runParity({ seed: 42, split: 'random', trainRatio: 0.7, ...options });
  const { report } = outcome;
  const text = formatParityReport(report);
  expect(report.sameTestRows, text).toBe(true);
  expect(report.columns.find((d) => d.name === 'rsi')!.maxRel, text).toBeLessThanOrEqual(1e-12);
  expect(report.ok, text).toBe(true);
  return outcome;
}

describe('parity: engine vs PySpark', () => {
  it('the default data', async () => {
    const { report, engine } = await expectParity({ input: DEFAULT_CSV });
    expect(report.engineTestRows).toBe(engine.report.rows.test);
    expect(report.engineTestRows).toBeGreaterThan(200);
  });

  it('shuffled rows (and the engine gives the same model as on the sorted file)', async () => {
    const { engine } = await expectParity({ input: shuffledDefault(scratch.dir, 5) });
    const sorted = await runPipeline({ input: DEFAULT_CSV });
    expect(engine.report.model).toEqual(sorted.report.model);
    expect(engine.report.training).toEqual(sorted.report.training);
  });

  it('repeated dates: the last row in file order wins, on both sides', async () => {
    // 25 repeats in 2500 days: at most 1%, still one daily series (docs/input.md#not-one-daily-series).
    const { engine } = await expectParity({ input: repeatedDates(scratch.dir, 2500, 25, 3) });
    expect(engine.report.input.duplicateDatesCollapsed.count).toBeGreaterThan(15);
  });

  it('a constant column (volume): Spark falls back from Cholesky, statistics unavailable on both sides', async () => {
    const { engine } = await expectParity({ input: constantColumn(scratch.dir, 'volume', 1_000_000) });
    expect(engine.report.model.solver).toBe('fallback');
    expect(engine.report.model.coefficients[1]).toBe(0);
    expect(engine.report.training.coefficientStandardErrors).toBeNull();
  });

  it(`the smallest valid input (${MIN_DISTINCT_DATES} distinct dates)`, async () => {
    const input = generated(scratch.dir, 'smallest.csv', { rows: MIN_DISTINCT_DATES, seed: 8, repeatedDate: false, zeroMarketCap: false });
    const { engine } = await expectParity({ input });
    expect(engine.report.rows.afterDropNulls).toBe(MIN_DISTINCT_DATES - 14);
  });

  it('one date fewer is refused by both, with exit code 2', async () => {
    const input = generated(scratch.dir, 'too-small.csv', { rows: MIN_DISTINCT_DATES - 1, seed: 8, repeatedDate: false, zeroMarketCap: false });
    await expect(runPipeline({ input })).rejects.toBeInstanceOf(InputError);
    const spark = await runSparkJob({ input, output: join(scratch.dir, 'too-small-out') });
    expect(spark.exitCode).toBe(2);
    expect(spark.stderr).toMatch(new RegExp(`${MIN_DISTINCT_DATES}`));
  });

  it('a 20,000-row synthetic set', async () => {
    const input = generated(scratch.dir, 'large.csv', { rows: 20_000, seed: 2024 });
    const { engine } = await expectParity({ input, seed: 1234 });
    expect(engine.report.rows.test).toBeGreaterThan(5_000);
  });

  it('the time split', async () => {
    const { engine } = await expectParity({ input: DEFAULT_CSV, split: 'time', trainRatio: 0.8 });
    expect(engine.report.split).toBe('time');
  });
});
