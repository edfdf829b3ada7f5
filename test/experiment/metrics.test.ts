/**
 * The metrics and the Diebold–Mariano test on cases small enough to work by hand (docs/experiment.md).
 */
import { describe, expect, it } from 'vitest';
import { dieboldMariano } from '../../src/experiment/dieboldMariano.js';
import { forecastMetrics } from '../../src/experiment/metrics.js';
import { rankSets, verdict, type SetResult } from '../../src/experiment/results.js';

describe('dieboldMariano', () => {
  it('matches a case worked by hand', () => {
    // e = [1, −1, 2, 0], baseline e = [2, 2, −1, 1]
    // d = e² − e_b² = [1−4, 1−4, 4−1, 0−1] = [−3, −3, 3, −1]; T = 4; d̄ = −4/4 = −1
    // d − d̄ = [−2, −2, 4, 0]; γ0 = (4 + 4 + 16 + 0)/4 = 6
    // statistic = d̄ / √(γ0/T) · √((T−1)/T) = −1/√1.5 · √0.75 = −√0.5 = −0.70710678…
    // p = 2·(1 − F₃(√0.5)), with Student's t CDF for 3 degrees of freedom in closed form
    //   F₃(t) = ½ + (1/π)·( (t/√3)/(1 + t²/3) + atan(t/√3) ):
    //   t/√3 = 1/√6 = 0.4082483, 1 + t²/3 = 7/6 → 0.3499271; atan(0.4082483) = 0.3875967;
    //   F₃ = ½ + 0.7375238/π = 0.7347611 → p = 0.5304778
    const dm = dieboldMariano(Float64Array.of(1, -1, 2, 0), Float64Array.of(2, 2, -1, 1));
    expect(dm.statistic).toBeCloseTo(-Math.SQRT1_2, 14);
    expect(dm.pValue).toBeCloseTo(0.5304777709329569, 12);
  });

  it('is symmetric: swapping the two forecasts flips the sign and keeps the p-value', () => {
    const a = Float64Array.of(0.3, -1.2, 0.8, 2.1, -0.4, 0.9);
    const b = Float64Array.of(0.5, -0.2, 1.8, 0.1, -0.9, 1.9);
    const ab = dieboldMariano(a, b);
    const ba = dieboldMariano(b, a);
    expect(ba.statistic).toBeCloseTo(-ab.statistic, 14);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 14);
  });

  it('has no test when the loss differences are constant (the baseline against itself)', () => {
    const e = Float64Array.of(1, 2, 3);
    const dm = dieboldMariano(e, e);
    expect(Number.isNaN(dm.statistic) && Number.isNaN(dm.pValue)).toBe(true);
  });
});

describe('forecastMetrics', () => {
  it('matches a case worked by hand', () => {
    // price (today) [10, 10, 12, 11], actual next_price [11, 10, 11, 12], forecast [10.5, 9, 12, 12]
    // e = [−0.5, −1, 1, 0]; persistence e = price − actual = [−1, 0, 1, −1]
    // mse = (0.25 + 1 + 1 + 0)/4 = 0.5625 → rmse 0.75; mae = 2.5/4 = 0.625
    // mape = (0.5/11 + 1/10 + 1/11 + 0)/4; ȳ = 11, Σ(y − ȳ)² = 2 → r2 = 1 − 2.25/2 = −0.125
    // direction: row 1 does not move (excluded); row 0 up/up right, row 2 down/flat wrong, row 3 up/up
    //   right → 2/3; mse(persistence) = 3/4 → skill = 1 − 0.5625/0.75 = 0.25
    const price = Float64Array.of(10, 10, 12, 11);
    const actual = Float64Array.of(11, 10, 11, 12);
    const forecast = Float64Array.of(10.5, 9, 12, 12);
    const m = forecastMetrics(forecast, actual, price, Float64Array.of(-1, 0, 1, -1));
    expect(m.rmse).toBeCloseTo(0.75, 15);
    expect(m.mae).toBeCloseTo(0.625, 15);
    expect(m.mape).toBeCloseTo((0.5 / 11 + 1 / 10 + 1 / 11) / 4, 15);
    expect(m.r2).toBeCloseTo(-0.125, 15);
    expect(m.directionalAccuracy).toBeCloseTo(2 / 3, 15);
    expect(m.skill).toBeCloseTo(0.25, 15);
    expect(m.dm).not.toBeNull();

    const persistence = forecastMetrics(price, actual, price, null);
    expect(persistence.directionalAccuracy).toBe(0);
    expect(persistence.skill).toBe(0);
    expect(persistence.dm).toBeNull();
  });
});

describe('ranking and verdicts', () => {
  const set = (name: string, skill: number, pValue: number | null): SetResult => ({
    name,
    features: [],
    metrics: { rmse: 0, mae: 0, mape: 0, r2: 0, directionalAccuracy: 0, skill, dm: pValue === null ? null : { statistic: 0, pValue } },
  });
  it('ranks by skill and words the DM p-value', () => {
    const sets = [set('persistence', 0, null), set('a', -0.1, 0.3), set('b', 0.05, 0.01), set('c', -0.2, 0.001), set('d', 0.02, 0.05)];
    expect(rankSets(sets).map((s) => s.name)).toEqual(['b', 'd', 'persistence', 'a', 'c']);
    expect(sets.map(verdict)).toEqual([
      'baseline: tomorrow = today',
      'no better than tomorrow = today',
      'better than tomorrow = today',
      'worse than tomorrow = today',
      'no better than tomorrow = today',
    ]);
  });
});
