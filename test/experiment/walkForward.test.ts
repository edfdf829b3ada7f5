/**
 * `runExperiment`'s forecasts and metrics against an independent walk-forward in numpy/pandas/ta
 * (test/py/walkforward.py: pandas reads and de-duplicates, ta computes the indicators, numpy lstsq
 * refits every window from scratch, the t tail from its own incomplete-beta continued fraction), on the
 * bundled default data and the real Algorand data, refitting every row and every 5 rows, both targets.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import type { Target } from '../../src/experiment/target.js';
import { relativeDifference } from '../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ROOT } from '../helpers/cli.js';
import { ALGORAND_CSV, DEFAULT_CSV } from '../helpers/datasets.js';
import { runPython } from '../helpers/python.js';
import { useScratchFolder } from '../helpers/scratch.js';

const REAL_CSV = ALGORAND_CSV;

const SETS = [
  'base=price,volume,marketCap,rsi',
  'price_only=price',
  'mixed=price,rsi(window=9),volume',
  'ta=price,macd_diff,bollinger_pband(window=25,window_dev=1.5),on_balance_volume',
];

let env: PythonEnv;
const scratch = useScratchFolder('walkforward');
beforeAll(async () => {
  env = await ensurePythonEnv();
});
function python(args: string[]): Promise<string> {
  return runPython(env, args);
}

interface NumpyRun {
  parquet: { columns: string[]; dates: string[]; maxRelativeDifference: Record<string, number> };
  rows: number;
  trainRows: number;
  testRows: number;
  firstTestDate: string;
  forecasts: Record<string, number[]>;
  metrics: Record<string, Record<string, number | null | { statistic: number; pValue: number }>>;
}

const cases: [string, number, Target, string][] = [];
for (const [label, file] of [['default', DEFAULT_CSV], ['real', REAL_CSV]] as const) {
  for (const k of [1, 5]) for (const target of ['price', 'return'] as const) cases.push([label, k, target, file]);
}

describe('walk-forward against an independent numpy implementation', () => {
  it.each(cases)('%s data, refit every %i, target %s', async (label, refitEvery, target, csv) => {
    const sets = SETS.map(parseSetFlag);
    const output = join(scratch.dir, `out-${label}-${refitEvery}-${target}`);
    const mine = await runExperiment({ input: csv, sets, trainRatio: 0.7, refitEvery, target, threads: 1, output });
    const job = join(scratch.dir, `job-${label}-${refitEvery}-${target}.json`);
    const parquet = join(output, 'forecasts.parquet');
    await writeFile(
      job,
      JSON.stringify({ csv, trainRatio: 0.7, refitEvery, target, sets: sets.map((s) => ({ name: s.name, items: s.items })), parquet }),
    );
    const numpy = JSON.parse(await python([join(ROOT, 'test', 'py', 'walkforward.py'), job])) as NumpyRun;

    const r = mine.results;
    expect([r.rows, r.trainRows, r.testRows, r.firstTestDate]).toEqual([numpy.rows, numpy.trainRows, numpy.testRows, numpy.firstTestDate]);
    expect(r.sets.map((s) => s.name)).toEqual(['persistence', ...sets.map((s) => s.name)]);

    // Forecasts, row by row.
    const forecastsOf = new Map(mine.forecasts.sets.map((s) => [s.name, s.forecasts]));
    forecastsOf.set('persistence', mine.forecasts.persistence);
    for (const [name, expected] of Object.entries(numpy.forecasts)) {
      const got = forecastsOf.get(name)!;
      expect(got.length).toBe(expected.length);
      let worst = 0;
      for (let t = 0; t < got.length; t++) worst = Math.max(worst, relativeDifference(got[t], expected[t]));
      expect(worst, `${name}: largest relative difference of a forecast`).toBeLessThanOrEqual(1e-9);
    }

    // forecasts.parquet as pandas reads it.
    expect(numpy.parquet.columns).toEqual(['date', 'price', 'next_price', 'persistence', ...sets.map((s) => s.name)]);
    expect(numpy.parquet.dates[0]).toBe(numpy.firstTestDate);
    expect(numpy.parquet.dates).toHaveLength(numpy.testRows);
    for (const [name, difference] of Object.entries(numpy.parquet.maxRelativeDifference)) {
      expect(difference, `forecasts.parquet column ${name} vs numpy`).toBeLessThanOrEqual(1e-9);
    }

    // Metrics.
    for (const set of r.sets) {
      const expected = numpy.metrics[set.name];
      for (const key of ['rmse', 'mae', 'mape', 'r2', 'skill'] as const) {
        const e = expected[key] as number;
        const close = Math.abs(set.metrics[key] - e) <= 1e-9 * Math.max(1, Math.abs(e));
        expect(close, `${set.name}.${key}: ${set.metrics[key]} vs numpy ${e}`).toBe(true);
      }
      expect(set.metrics.directionalAccuracy).toBe(expected.directionalAccuracy);
      if (set.name === 'persistence') {
        expect(set.metrics.dm).toBeNull();
        expect(set.metrics.directionalAccuracy).toBe(0);
      } else {
        const dm = expected.dm as { statistic: number; pValue: number };
        expect(relativeDifference(set.metrics.dm!.statistic, dm.statistic), `${set.name} DM statistic`).toBeLessThanOrEqual(1e-7);
        expect(Math.abs(set.metrics.dm!.pValue - dm.pValue), `${set.name} DM p-value`).toBeLessThanOrEqual(1e-9);
      }
    }
  });
});
