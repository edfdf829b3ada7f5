import { describe, expect, it } from 'vitest';
import { fitWeightedLeastSquares } from '../../../src/engine/model/wls.js';

// ---- Independent reference: least squares by Householder QR on [X, 1] (textbook, plain doubles) --

function qrLeastSquares(columns: Float64Array[], y: Float64Array): number[] {
  const n = y.length;
  const p = columns.length + 1;
  const a = Array.from({ length: n }, (_, i) => [...columns.map((c) => c[i]), 1]);
  const b = Array.from(y);
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < n; i++) norm += a[i][j] * a[i][j];
    norm = Math.sqrt(norm);
    const alpha = a[j][j] > 0 ? -norm : norm;
    const v = new Array(n).fill(0);
    for (let i = j; i < n; i++) v[i] = a[i][j];
    v[j] -= alpha;
    let vv = 0;
    for (let i = j; i < n; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let col = j; col < p; col++) {
      let dot = 0;
      for (let i = j; i < n; i++) dot += v[i] * a[i][col];
      for (let i = j; i < n; i++) a[i][col] -= (2 * dot * v[i]) / vv;
    }
    let dot = 0;
    for (let i = j; i < n; i++) dot += v[i] * b[i];
    for (let i = j; i < n; i++) b[i] -= (2 * dot * v[i]) / vv;
  }
  const x = new Array(p).fill(0);
  for (let j = p - 1; j >= 0; j--) {
    let s = b[j];
    for (let col = j + 1; col < p; col++) s -= a[j][col] * x[col];
    x[j] = s / a[j][j];
  }
  return x; // coefficients, then intercept
}

/** Diagonal of ([X, 1]ᵀ[X, 1])⁻¹ by Gauss-Jordan elimination with partial pivoting. */
function diagInverseGram(columns: Float64Array[]): number[] {
  const n = columns[0].length;
  const cols = [...columns, new Float64Array(n).fill(1)];
  const p = cols.length;
  const m = cols.map((ci) => cols.map((cj) => ci.reduce((s, v, r) => s + v * cj[r], 0)));
  const inv = m.map((_, i) => m.map((__, j) => (i === j ? 1 : 0)));
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    [inv[c], inv[pivot]] = [inv[pivot], inv[c]];
    const d = m[c][c];
    for (let j = 0; j < p; j++) {
      m[c][j] /= d;
      inv[c][j] /= d;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < p; j++) {
        m[r][j] -= f * m[c][j];
        inv[r][j] -= f * inv[c][j];
      }
    }
  }
  return inv.map((row, i) => row[i]);
}

/** Deterministic noise in [-0.5, 0.5) (test input only). */
function noise(n: number, seed: number): Float64Array {
  let x = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32 - 0.5;
  });
}

const relClose = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));

describe('fitWeightedLeastSquares (Spark LinearRegression, normal solver)', () => {
  it('solves a one-feature case by hand: slope = cov/var, intercept = ȳ − slope·x̄', () => {
    // x̄ = 2.5, ȳ = 4, Σ(x−x̄)(y−ȳ) = 7, Σ(x−x̄)² = 5 → slope 1.4, intercept 0.5.
    // (XᵀX)⁻¹ diagonal: 1/Sxx = 0.2 for the slope, 1/n + x̄²/Sxx = 1.5 for the intercept.
    const fit = fitWeightedLeastSquares([Float64Array.of(1, 2, 3, 4)], Float64Array.of(2, 3, 5, 6));
    expect(fit.solver).toBe('cholesky');
    expect(fit.coefficients[0]).toBeCloseTo(1.4, 13);
    expect(fit.intercept).toBeCloseTo(0.5, 13);
    expect(fit.diagInvAtWA![0]).toBeCloseTo(0.2, 13);
    expect(fit.diagInvAtWA![1]).toBeCloseTo(1.5, 13);
  });

  it('recovers the coefficients of a noiseless linear dataset exactly (to rounding)', () => {
    const n = 200;
    const x1 = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 3 + i / 50);
    const x2 = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 1e6);
    const x3 = Float64Array.from({ length: n }, (_, i) => (i % 7) - 3 + i * 1e-3);
    const y = Float64Array.from({ length: n }, (_, i) => 3 + 2 * x1[i] - 0.5e-6 * x2[i] + 0.25 * x3[i]);
    const fit = fitWeightedLeastSquares([x1, x2, x3], y);
    relClose(fit.coefficients[0], 2, 1e-12);
    relClose(fit.coefficients[1], -0.5e-6, 1e-12);
    relClose(fit.coefficients[2], 0.25, 1e-12);
    relClose(fit.intercept, 3, 1e-12);
  });

  it('agrees with a Householder QR solve and a Gauss-Jordan (XᵀX)⁻¹ on a noisy problem', () => {
    const n = 500;
    const e = noise(n, 7);
    const x1 = Float64Array.from({ length: n }, (_, i) => 1 + Math.sin(i * 0.3) + i / 400);
    const x2 = Float64Array.from({ length: n }, (_, i) => 5e8 * (1 + Math.cos(i * 0.11)));
    const x3 = Float64Array.from({ length: n }, (_, i) => 50 + 30 * Math.sin(i * 0.05));
    const x4 = Float64Array.from({ length: n }, (_, i) => 1e4 * (i % 13) + 3 * e[(i * 7) % n]);
    const y = Float64Array.from(
      { length: n },
      (_, i) => 0.9 * x1[i] + 1e-9 * x2[i] + 0.002 * x3[i] - 1e-6 * x4[i] + 0.01 * e[i],
    );
    const columns = [x1, x2, x3, x4];
    const fit = fitWeightedLeastSquares(columns, y);
    const qr = qrLeastSquares(columns, y);
    for (let j = 0; j < 4; j++) relClose(fit.coefficients[j], qr[j], 1e-9);
    relClose(fit.intercept, qr[4], 1e-9);
    const diag = diagInverseGram(columns);
    diag.forEach((d, j) => relClose(fit.diagInvAtWA![j], d, 1e-7));
  });

  it('handles a feature that is a scaled copy of another plus a little noise (price vs marketCap)', () => {
    const n = 400;
    const e = noise(n, 99);
    const price = Float64Array.from({ length: n }, (_, i) => 0.2 + 0.1 * Math.sin(i / 20) + i / 2000);
    const marketCap = Float64Array.from({ length: n }, (_, i) => price[i] * 4e9 * (1 + 1e-3 * e[i]));
    const y = Float64Array.from({ length: n }, (_, i) => 0.98 * price[i] + 1e-12 * marketCap[i] + 0.001 * e[(i + 1) % n]);
    const fit = fitWeightedLeastSquares([price, marketCap], y);
    const qr = qrLeastSquares([price, marketCap], y);
    expect(fit.solver).toBe('cholesky');
    relClose(fit.coefficients[0], qr[0], 1e-6);
    relClose(fit.coefficients[1], qr[1], 1e-6);
    relClose(fit.intercept, qr[2], 1e-6);
  });

  it('falls back to the reduced system when a feature is constant: its coefficient is exactly 0', () => {
    const n = 300;
    const e = noise(n, 3);
    const x1 = Float64Array.from({ length: n }, (_, i) => Math.sin(i) + i / 100);
    const constant = new Float64Array(n).fill(5);
    const x3 = Float64Array.from({ length: n }, (_, i) => 10 * Math.cos(i / 3));
    const y = Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * x1[i] - 0.2 * x3[i] + 0.05 * e[i]);
    const fit = fitWeightedLeastSquares([x1, constant, x3], y);
    expect(fit.solver).toBe('fallback');
    expect(fit.diagInvAtWA).toBeNull();
    expect(fit.coefficients[1]).toBe(0);
    const reduced = qrLeastSquares([x1, x3], y);
    relClose(fit.coefficients[0], reduced[0], 1e-10);
    relClose(fit.coefficients[2], reduced[1], 1e-10);
    relClose(fit.intercept, reduced[2], 1e-10);
    // The same as fitting without the constant column, up to where Spark's L-BFGS stops.
    const without = fitWeightedLeastSquares([x1, x3], y);
    relClose(fit.coefficients[0], without.coefficients[0], 1e-10);
    relClose(fit.coefficients[2], without.coefficients[1], 1e-10);
  });

  it('returns zero coefficients and the mean for a constant label, with no statistics', () => {
    const fit = fitWeightedLeastSquares(
      [Float64Array.of(1, 2, 3, 4), Float64Array.of(0, 5, 1, 2)],
      Float64Array.of(2.5, 2.5, 2.5, 2.5),
    );
    expect(Array.from(fit.coefficients)).toEqual([0, 0]);
    expect(fit.intercept).toBe(2.5);
    expect(fit.diagInvAtWA).toBeNull();
  });

  it('uses only the label mean when there are no feature columns', () => {
    const fit = fitWeightedLeastSquares([], Float64Array.of(1, 2, 6));
    expect(fit.coefficients.length).toBe(0);
    expect(fit.intercept).toBeCloseTo(3, 14);
    expect(fit.diagInvAtWA![0]).toBeCloseTo(1 / 3, 14); // (1ᵀ1)⁻¹ = 1/n
  });

  it('rejects empty and ragged input', () => {
    expect(() => fitWeightedLeastSquares([new Float64Array(0)], new Float64Array(0))).toThrow();
    expect(() => fitWeightedLeastSquares([Float64Array.of(1, 2)], Float64Array.of(1, 2, 3))).toThrow(RangeError);
  });

  it('does not modify its inputs', () => {
    const x = Float64Array.of(1, 2, 4);
    const y = Float64Array.of(1, 3, 2);
    fitWeightedLeastSquares([x], y);
    expect(Array.from(x)).toEqual([1, 2, 4]);
    expect(Array.from(y)).toEqual([1, 3, 2]);
  });
});
