/**
 * The penalised fit (docs/regularisation.md) on its own terms, without Spark (owlqn.test.ts compares
 * with PySpark): λ = 0 is the unpenalised fit bit for bit; ridge is the Cholesky solve of the penalised
 * standardized system (checked against a direct solve written here); OWL-QN's answer satisfies the
 * lasso's optimality conditions; a large L1 weight zeroes every coefficient exactly.
 */
import { describe, expect, it } from 'vitest';
import { fitWeightedLeastSquares } from '../../../src/engine/model/wls.js';
import { solveNormalEquationOwlqn } from '../../../src/engine/model/owlqn.js';
import { lcg } from '../../helpers/lcg.js';

/** Three correlated features and a label that depends on two of them. */
function data(n: number, seed: number) {
  const random = lcg(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = 10 + 5 * random();
    b[i] = 2 * a[i] + random();
    c[i] = 100 * random();
    y[i] = 3 * a[i] - 0.5 * b[i] + 0.01 * c[i] + random();
  }
  return { features: [a, b, c], y };
}

const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
const std = (v: Float64Array) => {
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
};

describe('regularised least squares', () => {
  const { features, y } = data(200, 3);

  it('λ = 0 is the unpenalised fit, bit for bit, whatever α', () => {
    const plain = fitWeightedLeastSquares(features, y);
    for (const elasticNetParam of [0, 0.5, 1]) {
      const zero = fitWeightedLeastSquares(features, y, undefined, { regParam: 0, elasticNetParam });
      expect(zero.solver).toBe('cholesky');
      expect(Array.from(zero.coefficients)).toEqual(Array.from(plain.coefficients));
      expect(zero.intercept).toBe(plain.intercept);
    }
  });

  it('ridge solves (C + λ/δ·I) w = r on standardized, centred data, the intercept unpenalised', () => {
    const regParam = 0.2;
    const fit = fitWeightedLeastSquares(features, y, undefined, { regParam, elasticNetParam: 0 });
    expect(fit.solver).toBe('cholesky');
    expect(fit.diagInvAtWA).not.toBeNull(); // Spark gives statistics on the ridge path
    // Direct: standardize, centre, form the 3×3 system with the penalty, Gaussian elimination.
    const k = features.length;
    const delta = std(y);
    const z = features.map((f) => Float64Array.from(f, (v) => (v - mean(f)) / std(f)));
    const t = Float64Array.from(y, (v) => (v - mean(y)) / delta);
    const m = Array.from({ length: k }, (_, i) =>
      Array.from({ length: k + 1 }, (_, j) => {
        const other = j < k ? z[j] : t;
        const dot = z[i].reduce((s, v, r) => s + v * other[r], 0) / y.length;
        return dot + (i === j ? regParam / delta : 0);
      }),
    );
    for (let p = 0; p < k; p++) {
      for (let r = p + 1; r < k; r++) {
        const f = m[r][p] / m[p][p];
        for (let c = p; c <= k; c++) m[r][c] -= f * m[p][c];
      }
    }
    const w = new Array<number>(k).fill(0);
    for (let p = k - 1; p >= 0; p--) {
      let s = m[p][k];
      for (let c = p + 1; c < k; c++) s -= m[p][c] * w[c];
      w[p] = s / m[p][p];
    }
    const expected = w.map((wj, j) => (wj * delta) / std(features[j]));
    expected.forEach((coefficient, j) => expect(fit.coefficients[j]).toBeCloseTo(coefficient, 9));
    const intercept = mean(y) - expected.reduce((s, c, j) => s + c * mean(features[j]), 0);
    expect(fit.intercept).toBeCloseTo(intercept, 8);
    // And it shrinks: the penalised coefficient vector is shorter in standardized units.
    const plain = fitWeightedLeastSquares(features, y);
    const size = (c: Float64Array) => Math.hypot(...Array.from(c, (v, j) => v * std(features[j])));
    expect(size(fit.coefficients)).toBeLessThan(size(plain.coefficients));
  });

  it('a ridge penalty makes a constant feature solvable by Cholesky (its coefficient 0)', () => {
    const constant = new Float64Array(y.length).fill(7);
    const fit = fitWeightedLeastSquares([features[0], constant], y, undefined, { regParam: 0.1, elasticNetParam: 0 });
    expect(fit.solver).toBe('cholesky');
    expect(fit.coefficients[1]).toBe(0);
    expect(fitWeightedLeastSquares([features[0], constant], y).solver).toBe('fallback');
  });

  it('elastic net and lasso run OWL-QN: no statistics, an objective history that falls', () => {
    for (const elasticNetParam of [0.5, 1]) {
      const fit = fitWeightedLeastSquares(features, y, undefined, { regParam: 0.05, elasticNetParam });
      expect(fit.solver).toBe('owlqn');
      expect(fit.diagInvAtWA).toBeNull();
      const history = fit.objectiveHistory!;
      expect(history.length).toBeGreaterThan(2);
      // Falls from state to state, up to rounding (Breeze judges the first trial step against the
      // smooth part's value, so a step that gains ~1e-16 relative can pass).
      for (let i = 1; i < history.length; i++) expect(history[i]).toBeLessThanOrEqual(history[i - 1] * (1 + 1e-12));
      expect(history[history.length - 1]).toBeLessThan(history[0] * 0.9);
    }
  });

  it('a large L1 weight zeroes every coefficient exactly; the intercept is then the mean label', () => {
    const fit = fitWeightedLeastSquares(features, y, undefined, { regParam: 100, elasticNetParam: 1 });
    expect(Array.from(fit.coefficients)).toEqual([0, 0, 0]);
    expect(fit.intercept).toBeCloseTo(mean(y), 12);
  });
});

describe('OWL-QN on a small lasso problem', () => {
  // Standardized normal equations of three features (the packed upper [[aa, aBar], [aBarᵀ, 1]]).
  const aaBar = [1.0, 0.8, 1.0, 0.1, 0.2, 1.0]; // packed upper 3×3, unit diagonal
  const aBar = Float64Array.of(0.5, -0.3, 0.2);
  const aa = Float64Array.from([...aaBar, ...aBar, 1.0]);
  const ab = Float64Array.of(0.9, 0.6, 0.05, 0.4);
  const problem = { aa, ab, aBar, bBar: 0.4, bbBar: 1.3 };

  it('stops at a point satisfying the lasso optimality conditions (to its tolerance), some weights exactly 0', () => {
    const weight = 0.08;
    const l1 = Float64Array.of(weight, weight, weight, 0);
    const { x, stop } = solveNormalEquationOwlqn(problem, l1, 500, 1e-12);
    expect(stop).not.toBe('max iterations reached');
    // Gradient of the smooth part, aa·x − ab, with aa symmetric from its packed upper triangle.
    const full = (i: number, j: number) => (i <= j ? aa[i + (j * (j + 1)) / 2] : aa[j + (i * (i + 1)) / 2]);
    const grad = Array.from({ length: 4 }, (_, i) => x.reduce((s, v, j) => s + full(i, j) * v, 0) - ab[i]);
    for (let j = 0; j < 3; j++) {
      if (x[j] !== 0) expect(Math.abs(grad[j] + Math.sign(x[j]) * weight)).toBeLessThan(1e-6);
      else expect(Math.abs(grad[j])).toBeLessThanOrEqual(weight + 1e-9);
    }
    expect(Math.abs(grad[3])).toBeLessThan(1e-9); // the intercept is optimal
    expect(Array.from(x.subarray(0, 3)).some((v) => v === 0)).toBe(true);
  });
});

describe('bad penalties from a library caller', () => {
  it('are refused before solving, naming the parameter', () => {
    const x = [Float64Array.of(1, 2, 3, 4)];
    const y = Float64Array.of(1, 3, 2, 5);
    expect(() => fitWeightedLeastSquares(x, y, undefined, { regParam: -0.5, elasticNetParam: 0 })).toThrow(/regParam -0.5: expected a finite number ≥ 0/);
    expect(() => fitWeightedLeastSquares(x, y, undefined, { regParam: Infinity, elasticNetParam: 0 })).toThrow(/regParam Infinity/);
    expect(() => fitWeightedLeastSquares(x, y, undefined, { regParam: 0.1, elasticNetParam: NaN })).toThrow(/elasticNetParam NaN: expected a number between 0 and 1/);
  });
});
