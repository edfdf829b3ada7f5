/**
 * `runForecast` against its definitions (docs/forecast.md):
 *   - an independent numpy walk-forward (test/py/forecast_walkforward.py: pandas, ta, lstsq from scratch,
 *     the conformal rule and the h-step DM written out again) for forecasts, bounds and track records;
 *   - `forecast --as-of D` at h = 1 with a refit every day equals the experiment's forecast of origin D,
 *     bit for bit, and its h = 1 walk-forward is the experiment's test rows and refits, bit for bit;
 *   - on a seeded geometric random walk the intervals cover within a few points of their level at every
 *     horizon (persistence's, the random walk's own forecast, and a fitted set's).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../fixtures/generate.js';
import { parseFeatureSpec } from '../../src/engine/features/spec.js';
import { formatDay, parseDay } from '../../src/engine/ingest/dates.js';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import type { Target } from '../../src/experiment/target.js';
import { runForecast, type ForecastOptions } from '../../src/forecast/run.js';
import { relativeDifference } from '../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ROOT } from '../helpers/cli.js';
import { ALGORAND_CSV, DEFAULT_CSV } from '../helpers/datasets.js';
import { runPython } from '../helpers/python.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-walkforward');
const BASE = 'price,volume,marketCap,rsi';

function options(input: string, extra: Partial<ForecastOptions> = {}): ForecastOptions {
  return {
    input,
    set: { name: 'features', spec: BASE },
    target: 'price',
    horizon: 1,
    levels: [0.8, 0.95],
    trainRatio: 0.7,
    refitEvery: 1,
    ...extra,
  };
}

interface NumpyForecast {
  originDate: string;
  horizons: {
    horizon: number;
    forecast: number;
    bounds: [number, number][];
    history: number[];
    skill: number;
    dm: { statistic: number; pValue: number };
    mase: number;
    rmsse: number;
    coverage: (number | null)[];
  }[];
}

describe('forecast against an independent numpy walk-forward', () => {
  let env: PythonEnv;
  beforeAll(async () => {
    env = await ensurePythonEnv();
  });

  const cases: [string, string, string, number, number, Target, number | null, string | null][] = [
    ['default data, h 1…5, refit every day', DEFAULT_CSV, BASE, 5, 1, 'price', null, null],
    ['real data, h 1…7, refit every 5, return target, window 120', ALGORAND_CSV, 'price,rsi(window=9),macd_diff', 7, 5, 'return', 120, null],
    ['real data as of 2021-06-30, h 1…3', ALGORAND_CSV, BASE, 3, 1, 'price', null, '2021-06-30'],
  ];
  it.each(cases)('%s', async (_label, csv, spec, horizon, refitEvery, target, window, asOf) => {
    const levels = [0.5, 0.8, 0.95];
    const mine = await runForecast(
      options(csv, {
        set: { name: 'features', spec },
        horizon,
        refitEvery,
        target,
        levels,
        calibrationWindow: window ?? undefined,
        asOf: asOf ?? undefined,
      }),
    );
    const job = await scratch.file(
      JSON.stringify({ csv, items: parseFeatureSpec(spec), horizon, trainRatio: 0.7, refitEvery, target, levels, calibrationWindow: window, asOf }),
      `job-${horizon}-${refitEvery}-${target}.json`,
    );
    const numpy = JSON.parse(await runPython(env, [join(ROOT, 'test', 'py', 'forecast_walkforward.py'), job])) as NumpyForecast;
    const d = mine.document;
    expect(d.originDate).toBe(numpy.originDate);
    expect(d.horizons).toHaveLength(horizon);
    for (const [i, expected] of numpy.horizons.entries()) {
      const got = d.horizons[i];
      const label = `h=${expected.horizon}`;
      expect(relativeDifference(got.forecast, expected.forecast), `${label} forecast`).toBeLessThanOrEqual(1e-9);
      got.bounds.forEach((b, j) => {
        expect(relativeDifference(b.lower, expected.bounds[j][0]), `${label} lower ${b.level}`).toBeLessThanOrEqual(1e-9);
        expect(relativeDifference(b.upper, expected.bounds[j][1]), `${label} upper ${b.level}`).toBeLessThanOrEqual(1e-9);
      });
      const record = got.trackRecord;
      expect(record.origins).toBe(expected.history.length);
      expect(relativeDifference(record.metrics.skill, expected.skill), `${label} skill`).toBeLessThanOrEqual(1e-8);
      expect(relativeDifference(record.metrics.mase, expected.mase), `${label} mase`).toBeLessThanOrEqual(1e-9);
      expect(relativeDifference(record.metrics.rmsse, expected.rmsse), `${label} rmsse`).toBeLessThanOrEqual(1e-9);
      expect(relativeDifference(record.metrics.dm!.statistic, expected.dm.statistic), `${label} DM statistic`).toBeLessThanOrEqual(1e-7);
      expect(Math.abs(record.metrics.dm!.pValue - expected.dm.pValue), `${label} DM p`).toBeLessThanOrEqual(1e-9);
      record.intervals.forEach((interval, j) => {
        // A bound that lands on an actual to the last bit could flip one origin: allow one.
        expect(Math.abs(interval.coverage - expected.coverage[j]!), `${label} coverage ${interval.level}`).toBeLessThanOrEqual(1 / interval.origins + 1e-12);
      });
    }
  });
});

describe('forecast and experiment are one walk-forward', () => {
  it('forecast --as-of D at h = 1 equals the experiment\'s forecast of origin D, bit for bit', async () => {
    const experiment = await runExperiment({ input: DEFAULT_CSV, sets: [parseSetFlag(`base=${BASE}`)], trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1 });
    const { day, sets } = experiment.forecasts;
    const picks = [0, 1, 17, Math.floor(day.length / 2), day.length - 1];
    for (const i of picks) {
      const asOf = formatDay(day[i]);
      const run = await runForecast(options(DEFAULT_CSV, { asOf }));
      expect(run.document.originDate).toBe(asOf);
      expect(run.document.horizons[0].forecast, `origin ${asOf}`).toBe(sets[0].forecasts[i]);
      expect(run.staleDays).toBeNull(); // --as-of: never called stale
    }
  });

  it.each([['price', 1], ['return', 1], ['price', 3]] as const)(
    'at h = 1 its track record is the experiment\'s test rows and refits (target %s, refit every %i)',
    async (target, refitEvery) => {
      const experiment = await runExperiment({ input: ALGORAND_CSV, sets: [parseSetFlag(`base=${BASE}`)], trainRatio: 0.7, refitEvery, target, threads: 1 });
      const run = await runForecast(options(ALGORAND_CSV, { target, refitEvery }));
      const record = run.document.horizons[0].trackRecord;
      expect(record.origins).toBe(experiment.results.testRows);
      expect(record.trainRows).toBe(experiment.results.trainRows);
      expect(record.firstOriginDate).toBe(experiment.results.firstTestDate);
      const mine = experiment.results.sets[1].metrics;
      expect(record.metrics.skill).toBe(mine.skill);
      expect(record.metrics.rmse).toBe(mine.rmse);
      expect(record.metrics.dm).toEqual(mine.dm);
    },
  );
});

describe('conformal coverage on a seeded geometric random walk', () => {
  let csv = '';
  beforeAll(async () => {
    const random = new SeededRandom(20240601);
    const start = parseDay('2015-01-01');
    const lines = ['date,price,volume,marketCap'];
    let price = 100;
    for (let i = 0; i < 2500; i++) {
      lines.push(`${formatDay(start + i)},${price},${1e6 * (1 + random.nextDouble())},${price * 1e7}`);
      price *= Math.exp(0.03 * random.nextNormal());
    }
    csv = join(scratch.dir, 'gbm.csv');
    await writeFile(csv, `${lines.join('\n')}\n`);
  });

  it('persistence\'s and a fitted set\'s intervals cover within 3 points of 80% and 95% at horizons 1…5', async () => {
    const run = await runForecast(options(csv, { set: { name: 'features', spec: 'price' }, horizon: 5, trainRatio: 0.2 }));
    for (const h of run.document.horizons) {
      for (const record of [h.trackRecord.persistence.intervals, h.trackRecord.intervals]) {
        for (const interval of record) {
          expect(interval.origins).toBeGreaterThan(1500);
          expect(Math.abs(interval.coverage - interval.level), `h=${h.horizon} L=${interval.level}: ${interval.coverage}`).toBeLessThanOrEqual(0.03);
        }
      }
      // The forecast's own bounds come from the same rule: they hold the forecast, and the wider level holds the narrower.
      const [b80, b95] = h.bounds;
      expect(b80.lower).toBeLessThanOrEqual(h.forecast);
      expect(b80.upper).toBeGreaterThanOrEqual(h.forecast);
      expect(b95.lower).toBeLessThanOrEqual(b80.lower);
      expect(b95.upper).toBeGreaterThanOrEqual(b80.upper);
    }
  });
});
