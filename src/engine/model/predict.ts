/**
 * Predictions of a fitted linear model, as Spark's `LinearRegressionModel.predict`:
 * `BLAS.dot(features, coefficients) + intercept`.
 *
 * For short vectors Spark's `BLAS.dot` is netlib's `Java11BLAS.ddot` (Java 11+): four partial sums
 * over lanes i ≡ 0, 1, 2, 3 (mod 4) accumulated with `Math.fma`, combined as
 * `0.0 + (((s0 + s1) + s2) + s3)`, then the remaining n mod 4 terms added with `Math.fma`. For the
 * engine's 4 features that is the plain sum x0·c0 + x1·c1 + x2·c2 + x3·c3 in feature order; the
 * general form is kept so other feature counts round as Spark does too.
 *
 * @param coefficients one per feature column
 * @param intercept the model's intercept
 * @param features the feature columns, each one value per row
 * @example predict([2], 1, [Float64Array.of(0, 1)]) // → [1, 3]
 */
import { fma } from './fma.js';

export function predict(
  coefficients: ArrayLike<number>,
  intercept: number,
  features: Float64Array[],
): Float64Array {
  const k = features.length;
  if (coefficients.length !== k) {
    throw new RangeError(`${coefficients.length} coefficients for ${k} feature columns`);
  }
  const n = k === 0 ? 0 : features[0].length;
  for (let j = 1; j < k; j++) {
    if (features[j].length !== n) {
      throw new RangeError(`feature column ${j} has ${features[j].length} rows, column 0 has ${n}`);
    }
  }
  const coef = Float64Array.from(coefficients);
  const out = new Float64Array(n);
  if (k === 4) {
    // predictRow with k = 4, the columns and coefficients hoisted out of the row loop.
    const [f0, f1, f2, f3] = features;
    const [c0, c1, c2, c3] = coef;
    for (let r = 0; r < n; r++) out[r] = 0.0 + (f0[r] * c0 + f1[r] * c1 + f2[r] * c2 + f3[r] * c3) + intercept;
    return out;
  }
  for (let r = 0; r < n; r++) out[r] = predictRow(coef, intercept, features, r);
  return out;
}

/**
 * Row r's prediction, the arithmetic of `predict` (which calls it for every row): for a caller that
 * predicts one row at a time (a walk-forward refitted every row) without allocating.
 * @param coefficients one per feature column (not checked)
 */
export function predictRow(coefficients: Float64Array, intercept: number, features: readonly Float64Array[], r: number): number {
  const k = features.length;
  const lanesEnd = k - (k % 4);
  let s0 = 0.0;
  let s1 = 0.0;
  let s2 = 0.0;
  let s3 = 0.0;
  let j = 0;
  if (lanesEnd >= 4) {
    // Each lane's first term, fma(x, c, 0) = x·c: one rounding either way, and the sign of a zero
    // product (which fma would make +0) is lost in `0.0 + (…)` below.
    s0 = features[0][r] * coefficients[0];
    s1 = features[1][r] * coefficients[1];
    s2 = features[2][r] * coefficients[2];
    s3 = features[3][r] * coefficients[3];
    j = 4;
  }
  for (; j < lanesEnd; j += 4) {
    s0 = fma(features[j][r], coefficients[j], s0);
    s1 = fma(features[j + 1][r], coefficients[j + 1], s1);
    s2 = fma(features[j + 2][r], coefficients[j + 2], s2);
    s3 = fma(features[j + 3][r], coefficients[j + 3], s3);
  }
  let dot = 0.0;
  dot += s0 + s1 + s2 + s3;
  for (j = lanesEnd; j < k; j++) dot = fma(features[j][r], coefficients[j], dot);
  return dot + intercept;
}
