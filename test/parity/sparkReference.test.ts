/**
 * The engine's numerical stages against values produced by real Spark (PySpark 3.5.3, OpenJDK 17,
 * local[1]) on a small dataset defined by formulas, so that Python and TypeScript build the very
 * same doubles. Spark's output was recorded once with:
 *
 *   rows = [(f'2020-01-{i:03d}', x1, x2, x3, x4, y) for i in range(80)]   # formulas as in `dataset`
 *   df = spark.createDataFrame(rows, ['date','x1','x2','x3','x4','y']).coalesce(1)
 *   m = LinearRegression(featuresCol='features', labelCol='y').fit(
 *         VectorAssembler(inputCols=['x1','x2','x3','x4'], outputCol='features').transform(df))
 *   m.coefficients, m.intercept, m.summary.{coefficientStandardErrors, tValues, pValues, r2, ...}
 *   df.randomSplit([0.7, 0.3], seed) for seeds 42, -7, 2**40 + 3 → which dates are in train
 *
 * x4 is nearly collinear with x1 (like marketCap and price); bit-for-bit agreement here needs
 * Spark's operation order, including the fused multiply-add in its BLAS daxpy.
 */
import { describe, expect, it } from 'vitest';
import { fitWeightedLeastSquares } from '../../src/engine/model/wls.js';
import { predict } from '../../src/engine/model/predict.js';
import { randomSplit, ROLE_TRAIN } from '../../src/engine/split.js';
import { trainingSummary } from '../../src/engine/model/summary.js';

function dataset(n: number) {
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const x3 = new Float64Array(n);
  const x4 = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = 1 + i / 7;
    x2[i] = 1e8 * (1 + (i % 5) / 3) + i * 12345.678;
    x3[i] = 50 + (((i * 37) % 11) * 1.5);
    x4[i] = x1[i] * 4e9 * (1 + ((i * 29) % 13) / 1000);
    y[i] = 0.9 * x1[i] + 1e-9 * x2[i] + ((i * 13) % 17) / 100;
  }
  return { features: [x1, x2, x3, x4], y };
}

const SPARK = {
  coefficients: [1.254824026575783, 1.0174942693467864e-9, -1.752234486458124e-5, -8.812614981488527e-11],
  intercept: 0.07606246888073064,
  se: [0.20001629360788484, 1.1785996924642049e-10, 0.0011689235259733893, 4.9723439676243504e-11, 0.06986245816432425],
  t: [6.273609034250781, 8.633077675588217, -0.014990155023178256, -1.7723260978863764, 1.0887459571179599],
  p: [2.0615225082565303e-8, 7.431832926840798e-13, 0.9880798396099335, 0.08040150249042943, 0.2797520772653863],
  r2: 0.9997399588477601,
  r2adj: 0.9997260899863073,
  mse: 0.0023001891081184905,
  mae: 0.040121055816080886,
  ev: 8.84318095226239,
  splits: {
    '42': '11011101001110001110101001110001010011101100100010101110011111010111100111101011',
    '-7': '11111111110111011111111111101111111110100011011111110111110110011111111111001100',
    '1099511627779': '01010011010110111110110100101000001011110110111111110110111111001111111111111111',
  } as Record<string, string>,
};

describe('agreement with PySpark 3.5.3 (recorded)', () => {
  const { features, y } = dataset(80);

  it('fits the same coefficients and intercept, bit for bit', () => {
    const fit = fitWeightedLeastSquares(features, y);
    expect(fit.solver).toBe('cholesky');
    expect(Array.from(fit.coefficients)).toEqual(SPARK.coefficients);
    expect(fit.intercept).toBe(SPARK.intercept);
  });

  it('reports the same training summary (p-values to 1e-12: Breeze and stdlib t CDFs differ)', () => {
    const fit = fitWeightedLeastSquares(features, y);
    const summary = trainingSummary(fit, predict(fit.coefficients, fit.intercept, features), y, 4);
    expect(summary.coefficientStandardErrors).toEqual(SPARK.se);
    expect(summary.tValues).toEqual(SPARK.t);
    summary.pValues!.forEach((p, i) => expect(p).toBeCloseTo(SPARK.p[i], 12));
    expect(summary.r2).toBe(SPARK.r2);
    expect(summary.r2adj).toBe(SPARK.r2adj);
    expect(summary.meanSquaredError).toBe(SPARK.mse);
    expect(summary.meanAbsoluteError).toBe(SPARK.mae);
    expect(summary.explainedVariance).toBe(SPARK.ev);
  });

  it('assigns the same rows to train as randomSplit([0.7, 0.3], seed)', () => {
    for (const [seed, expected] of Object.entries(SPARK.splits)) {
      const split = randomSplit(80, 0.7, BigInt(seed));
      expect(Array.from(split.role, (r) => (r === ROLE_TRAIN ? 1 : 0)).join('')).toBe(expected);
    }
  });
});
