/**
 * `experiment --horizon H --level L` (src/experiment/horizons.ts): at h = 1 it is the experiment itself,
 * and at every h its walk-forward of a set is the track record `forecast` publishes for that set (same
 * rows, origins, refits), bit for bit, so the numpy oracle of test/forecast/walkForward.test.ts checks
 * both; a level the test period cannot support is bad input.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/engine/errors.js';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { runForecast } from '../../src/forecast/run.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';

const SPEC = 'price,volume,marketCap,rsi';

describe('experiment at every horizon', () => {
  it.each([['price', 1], ['return', 4]] as const)('target %s, refit every %i: h = 1 is the experiment, every h is forecast\'s track record', async (target, refitEvery) => {
    const levels = [0.8, 0.95];
    const experiment = await runExperiment({ input: ALGORAND_CSV, sets: [parseSetFlag(`base=${SPEC}`)], trainRatio: 0.7, refitEvery, target, threads: 1, horizon: 4, levels, screen: false });
    const forecast = await runForecast({ input: ALGORAND_CSV, set: { name: 'features', spec: SPEC }, target, horizon: 4, levels, trainRatio: 0.7, refitEvery });
    const horizons = experiment.results.horizons!;
    expect(horizons.map((h) => h.horizon)).toEqual([1, 2, 3, 4]);
    const [first] = horizons;
    expect([first.rows, first.trainRows, first.testRows]).toEqual([experiment.results.rows, experiment.results.trainRows, experiment.results.testRows]);
    for (const [i, set] of first.sets.entries()) {
      const { mase: _m, rmsse: _r, ...metrics } = set.metrics;
      expect(metrics, set.name).toEqual(experiment.results.sets[i].metrics);
    }
    for (const [i, h] of horizons.entries()) {
      const record = forecast.document.horizons[i].trackRecord;
      expect(h.testRows).toBe(record.origins);
      expect(h.sets[1].metrics).toEqual(record.metrics);
      expect(h.sets[1].intervals).toEqual(record.intervals);
      expect(h.sets[0].metrics).toEqual(record.persistence.metrics);
      expect(h.sets[0].intervals).toEqual(record.persistence.intervals);
      if (h.horizon > 1) expect(Object.keys(h.sets[1].metrics.dm!)).toContain('pValue');
    }
  });

  it('refuses a level no test origin can have an interval for', async () => {
    const run = runExperiment({ input: ALGORAND_CSV, sets: [parseSetFlag(`base=${SPEC}`)], trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, horizon: 2, levels: [0.999], screen: false });
    await expect(run).rejects.toBeInstanceOf(InputError);
    await expect(run).rejects.toThrow(/a 0\.999 interval at horizon 1: 999 earlier test scores are needed/);
  });
});
