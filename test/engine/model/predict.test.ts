import { describe, expect, it } from 'vitest';
import { predict } from '../../../src/engine/model/predict.js';

describe('predict (dot(x, coefficients) + intercept)', () => {
  it('computes a hand-checkable case with four features', () => {
    const features = [Float64Array.of(1, 2), Float64Array.of(10, 0), Float64Array.of(0.5, 4), Float64Array.of(-1, 3)];
    // row 0: 2·1 + 0.1·10 + 4·0.5 − 1·(−1) + 0.25 = 6.25; row 1: 4 + 0 + 16 − 3 + 0.25 = 17.25
    expect(Array.from(predict([2, 0.1, 4, -1], 0.25, features))).toEqual([6.25, 17.25]);
  });

  it('sums in feature order, as BLAS ddot does for four features', () => {
    // 1e16 + 1 − 1e16 + 1 is 1 left to right ((1e16 + 1) rounds to 1e16), 2 in other orders.
    const features = [Float64Array.of(1e16), Float64Array.of(1), Float64Array.of(-1e16), Float64Array.of(1)];
    expect(predict([1, 1, 1, 1], 0, features)[0]).toBe(1e16 + 1 - 1e16 + 1);
  });

  it('handles other feature counts (lanes of four, fused tail) and typed-array coefficients', () => {
    const features = [1, 2, 3, 4, 5].map((v) => Float64Array.of(v, -v));
    const out = predict(Float64Array.of(1, 1, 1, 1, 2), 1, features);
    expect(Array.from(out)).toEqual([1 + 2 + 3 + 4 + 10 + 1, -(1 + 2 + 3 + 4 + 10) + 1]);
    expect(Array.from(predict([3], -1, [Float64Array.of(2, 0)]))).toEqual([5, -1]);
  });

  it('rejects a coefficient count that does not match the columns, and ragged columns', () => {
    expect(() => predict([1, 2], 0, [Float64Array.of(1)])).toThrow(RangeError);
    expect(() => predict([1, 2], 0, [Float64Array.of(1), Float64Array.of(1, 2)])).toThrow(RangeError);
  });
});
