/**
 * Spark's regression statistics, with Spark's formulas and arithmetic order (Spark 3.5):
 *
 * `mllib/evaluation/RegressionMetrics.scala` summarises the vectors
 * `(label, label - prediction, prediction)` with `Statistics.colStats` (a `SummarizerBuffer`,
 * `ml/stat/Summarizer.scala`), then
 *   SSerr = normL2(1)²,  SStot = variance(0) · (weightSum − 1),
 *   SSreg = normL2(2)² + mean(0)² · weightSum − 2 · mean(0) · mean(2) · weightSum
 *           (= Σ (ŷ − ȳ)², in that expanded form),
 *   MSE = SSerr / weightSum, RMSE = √MSE, MAE = normL1(1) / weightSum, r2 = 1 − SSerr / SStot,
 *   explainedVariance = SSreg / weightSum.
 * The summarizer visits only the non-zero entries of each vector; per entry (unit weight)
 *   mean += (v − mean) / (nnzWeight + 1), M2n += (v − newMean)(v − oldMean), M2 += v², L1 += |v|,
 * and reports mean = mean · (nnzWeight / weightSum), variance = (M2n + mean² · nnzWeight ·
 * (weightSum − nnzWeight) / weightSum) / (weightSum − 1), normL2 = √M2, normL1 = L1.
 *
 * `ml/regression/LinearRegression.scala`, `LinearRegressionSummary`:
 *   dof = n − p − 1; rss = MSE · n; se = √(diag((AᵀWA)⁻¹) · rss / dof); t = estimate / se;
 *   p-value = 2 · (1 − T_dof.cdf(|t|)); r2adj = 1 − (1 − r2)(n − 1)/(n − p − 1).
 * Arrays are ordered coefficients then intercept. Spark's t-distribution is Breeze's `StudentsT`;
 * we use @stdlib's t CDF (same distribution, independent implementation).
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import type { WlsSolution } from './wls.js';
import type { TrainingSummary } from '../types.js';

/** Spark's `RegressionMetrics` (no weights, with intercept), plus its row count. */
export interface RegressionMetrics {
  numInstances: number;
  meanSquaredError: number;
  rootMeanSquaredError: number;
  meanAbsoluteError: number;
  r2: number;
  explainedVariance: number;
}

/**
 * Spark's `RegressionMetrics(predictionAndObservations)` on unit weights.
 * @example regressionMetrics(Float64Array.of(1, 2), Float64Array.of(1, 3)).meanSquaredError // → 0.5
 */
export function regressionMetrics(prediction: Float64Array, label: Float64Array): RegressionMetrics {
  const n = label.length;
  if (prediction.length !== n) {
    throw new RangeError(`${prediction.length} predictions for ${n} labels`);
  }
  if (n === 0) throw new Error('Nothing has been added to this summarizer.');

  // Per-column SummarizerBuffer state; only the metrics RegressionMetrics reads are kept.
  // Column 0: label (mean, M2n), column 1: residual (M2, L1), column 2: prediction (mean, M2).
  let mean0 = 0, m2n0 = 0, nnz0 = 0;
  let m2err = 0, l1err = 0;
  let mean2 = 0, nnz2 = 0, m2pred = 0;
  for (let i = 0; i < n; i++) {
    const y = label[i];
    const yhat = prediction[i];
    const err = y - yhat;
    if (y !== 0) {
      const prevMean = mean0;
      const diff = y - prevMean;
      mean0 = prevMean + (1.0 * diff) / (nnz0 + 1.0);
      m2n0 += 1.0 * (y - mean0) * diff;
      nnz0 += 1.0;
    }
    if (err !== 0) {
      m2err += 1.0 * err * err;
      l1err += 1.0 * Math.abs(err);
    }
    if (yhat !== 0) {
      const prevMean = mean2;
      mean2 = prevMean + (1.0 * (yhat - prevMean)) / (nnz2 + 1.0);
      nnz2 += 1.0;
      m2pred += 1.0 * yhat * yhat;
    }
  }
  const weightSum = n; // Σ 1.0, exact
  const weightSquareSum = n;

  const realMean0 = mean0 * (nnz0 / weightSum);
  const realMean2 = mean2 * (nnz2 / weightSum);
  const denominator = weightSum - weightSquareSum / weightSum;
  const variance0 =
    denominator > 0.0
      ? Math.max((m2n0 + (mean0 * mean0 * nnz0 * (weightSum - nnz0)) / weightSum) / denominator, 0.0)
      : 0.0;
  // math.pow(x, 2) is exactly x * x in Java (and fdlibm); written as a product.
  const normL2err = Math.sqrt(m2err);
  const normL2pred = Math.sqrt(m2pred);
  const ssErr = normL2err * normL2err;
  const ssTot = variance0 * (weightSum - 1);
  const ssReg =
    normL2pred * normL2pred +
    realMean0 * realMean0 * weightSum -
    2 * realMean0 * realMean2 * weightSum;

  const meanSquaredError = ssErr / weightSum;
  return {
    numInstances: n,
    meanSquaredError,
    rootMeanSquaredError: Math.sqrt(meanSquaredError),
    meanAbsoluteError: l1err / weightSum,
    r2: 1 - ssErr / ssTot,
    explainedVariance: ssReg / weightSum,
  };
}

/**
 * Spark's `LinearRegressionTrainingSummary` on the training rows.
 * @param solution the fit (coefficients, intercept, diag((AᵀWA)⁻¹) or null)
 * @param prediction the model's predictions on the training rows
 * @param label the training labels
 * @param numFeatures p, the number of coefficients
 */
export function trainingSummary(
  solution: WlsSolution,
  prediction: Float64Array,
  label: Float64Array,
  numFeatures: number,
): TrainingSummary {
  const metrics = regressionMetrics(prediction, label);
  const n = metrics.numInstances;
  const degreesOfFreedom = n - numFeatures - 1;
  const r2adj = 1 - ((1 - metrics.r2) * (n - 1)) / (n - numFeatures - 1);

  let coefficientStandardErrors: number[] | null = null;
  let tValues: number[] | null = null;
  let pValues: number[] | null = null;
  const diag = solution.diagInvAtWA;
  if (diag !== null) {
    const rss = metrics.meanSquaredError * n;
    const sigma2 = rss / degreesOfFreedom;
    const standardErrors = Array.from(diag, (d) => Math.sqrt(d * sigma2));
    const estimates = [...solution.coefficients, solution.intercept];
    coefficientStandardErrors = standardErrors;
    tValues = estimates.map((estimate, i) => estimate / standardErrors[i]);
    pValues = tValues.map((t) => 2.0 * (1.0 - tCdf(Math.abs(t), degreesOfFreedom)));
  }

  return {
    numInstances: n,
    degreesOfFreedom,
    coefficientStandardErrors,
    tValues,
    pValues,
    r2: metrics.r2,
    r2adj,
    meanSquaredError: metrics.meanSquaredError,
    rootMeanSquaredError: metrics.rootMeanSquaredError,
    meanAbsoluteError: metrics.meanAbsoluteError,
    explainedVariance: metrics.explainedVariance,
  };
}
