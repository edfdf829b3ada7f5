import { describe, expect, it } from 'vitest';
import type { WlsSolution } from '../../../src/engine/model/wls.js';
import { regressionMetrics, trainingSummary } from '../../../src/engine/model/summary.js';

describe('regressionMetrics (Spark RegressionMetrics)', () => {
  it('computes MSE, RMSE, MAE, r2 and explained variance of a small case by hand', () => {
    // errors ±0.5: SSerr = 1; ȳ = 2.5, SStot = 5; Σ(ŷ − ȳ)² = 4 · 1 = 4.
    const m = regressionMetrics(Float64Array.of(1.5, 1.5, 3.5, 3.5), Float64Array.of(1, 2, 3, 4));
    expect(m.numInstances).toBe(4);
    expect(m.meanSquaredError).toBeCloseTo(0.25, 15);
    expect(m.rootMeanSquaredError).toBeCloseTo(0.5, 15);
    expect(m.meanAbsoluteError).toBeCloseTo(0.5, 15);
    expect(m.r2).toBeCloseTo(0.8, 14);
    expect(m.explainedVariance).toBeCloseTo(1, 14);
  });

  it('handles zeros in the label, prediction and residual (the summarizer skips zero entries)', () => {
    // errors 0, 0, −0.5: SSerr = 0.25; ȳ = 2, SStot = 8; Σ(ŷ − ȳ)² = 4 + 0 + 6.25.
    const m = regressionMetrics(Float64Array.of(0, 2, 4.5), Float64Array.of(0, 2, 4));
    expect(m.meanSquaredError).toBeCloseTo(0.25 / 3, 15);
    expect(m.meanAbsoluteError).toBeCloseTo(0.5 / 3, 15);
    expect(m.r2).toBeCloseTo(1 - 0.25 / 8, 14);
    expect(m.explainedVariance).toBeCloseTo(10.25 / 3, 13);
  });

  it('gives r2 = 1 and zero errors for a perfect fit', () => {
    const y = Float64Array.of(3, 1, 4, 1, 5);
    const m = regressionMetrics(y, y);
    expect([m.meanSquaredError, m.meanAbsoluteError, m.r2]).toEqual([0, 0, 1]);
  });

  it('rejects mismatched or empty input', () => {
    expect(() => regressionMetrics(Float64Array.of(1), Float64Array.of(1, 2))).toThrow(RangeError);
    expect(() => regressionMetrics(new Float64Array(0), new Float64Array(0))).toThrow();
  });
});

describe('trainingSummary (Spark LinearRegressionTrainingSummary)', () => {
  // y = 0.5 + 1.4x on x = 1..4, y = 2, 3, 5, 6 (the one-feature case of ols.test.ts, solved by
  // hand): fitted 1.9, 3.3, 4.7, 6.1, residuals .1, −.3, .3, −.1 → RSS = 0.2, dof = 2, σ² = 0.1;
  // diag((XᵀX)⁻¹) = [0.2, 1.5].
  const solution: WlsSolution = {
    coefficients: Float64Array.of(1.4),
    intercept: 0.5,
    diagInvAtWA: Float64Array.of(0.2, 1.5),
    solver: 'cholesky',
  };
  const label = Float64Array.of(2, 3, 5, 6);
  const prediction = Float64Array.of(1.9, 3.3, 4.7, 6.1);

  it('computes standard errors, t and p (intercept last) and the fit statistics by hand', () => {
    const s = trainingSummary(solution, prediction, label, 1);
    expect(s.numInstances).toBe(4);
    expect(s.degreesOfFreedom).toBe(2);
    const se = s.coefficientStandardErrors!;
    expect(se[0]).toBeCloseTo(Math.sqrt(0.02), 13);
    expect(se[1]).toBeCloseTo(Math.sqrt(0.15), 13);
    const t = s.tValues!;
    expect(t[0]).toBeCloseTo(1.4 / Math.sqrt(0.02), 11); // √98
    expect(t[1]).toBeCloseTo(0.5 / Math.sqrt(0.15), 12); // √(5/3)
    // Student t with 2 dof has F(t) = 1/2 + t / (2√(t² + 2)), so p = 1 − |t| / √(t² + 2).
    const p2 = (tv: number) => 1 - Math.abs(tv) / Math.sqrt(tv * tv + 2);
    expect(s.pValues![0]).toBeCloseTo(p2(Math.sqrt(98)), 12); // = 1 − √0.98
    expect(s.pValues![1]).toBeCloseTo(p2(Math.sqrt(5 / 3)), 12);
    expect(s.r2).toBeCloseTo(1 - 0.2 / 10, 13);
    expect(s.r2adj).toBeCloseTo(1 - (0.02 * 3) / 2, 13);
    expect(s.meanSquaredError).toBeCloseTo(0.05, 14);
    expect(s.rootMeanSquaredError).toBeCloseTo(Math.sqrt(0.05), 14);
    expect(s.meanAbsoluteError).toBeCloseTo(0.2, 14);
    expect(s.explainedVariance).toBeCloseTo(9.8 / 4, 13); // Σ(ŷ − 4)² = 2·2.1² + 2·0.7²
  });

  it('reports the statistics that need (AᵀA)⁻¹ as unavailable when there is none', () => {
    const s = trainingSummary({ ...solution, diagInvAtWA: null, solver: 'fallback' }, prediction, label, 1);
    expect(s.coefficientStandardErrors).toBeNull();
    expect(s.tValues).toBeNull();
    expect(s.pValues).toBeNull();
    expect(s.r2).toBeCloseTo(0.98, 13);
  });
});
