/**
 * The Spark WLS fit (docs/fit.md) of an expanding window, kept as running sums so a refit costs
 * one solve instead of a pass over every row so far.
 *
 * The sums are Spark's `WeightedLeastSquares.Aggregator` fields with unit weights, accumulated row by
 * row in the order `fitWeightedLeastSquares` (src/engine/model/wls.ts) adds them, then solved by the same
 * `solveWeightedLeastSquares`:
 *   wSum += 1;  bSum += b;  bbSum += b·b;  aSum_j += a_j;  abSum_j = fma(b, a_j, abSum_j);
 *   aaSum (packed upper, BLAS dspr, a column skipped when a_j = 0) += a_i · a_j.
 * Rows are added in date order, exactly once, so after rows 0 … s−1 the sums are bit for bit those a
 * from-scratch fit on rows 0 … s−1 forms, and so is the solution (test/experiment/expandingFit.test.ts checks
 * every refit of a walk-forward against a from-scratch engine fit).
 */
import { fma } from '../engine/model/fma.js';
import { NO_REGULARISATION, solveWeightedLeastSquares, type Regularisation, type WlsSolution } from '../engine/model/wls.js';

export class ExpandingFit {
  private readonly k: number;
  private rows = 0;
  private wSum = 0;
  private bSum = 0;
  private bbSum = 0;
  private readonly aSum: Float64Array;
  private readonly abSum: Float64Array;
  private readonly aaSum: Float64Array;

  /**
   * @param features the feature columns of the whole series; @param label its label column
   * @param featureNames the columns' names, for the message when the sums overflow
   * @param regularisation λ and α of every refit (docs/regularisation.md): ridge stays a solve on
   *   these sums; an L1 part runs OWL-QN on them at each refit
   */
  constructor(
    private readonly features: readonly Float64Array[],
    private readonly label: Float64Array,
    private readonly featureNames?: readonly string[],
    private readonly regularisation: Regularisation = NO_REGULARISATION,
  ) {
    this.k = features.length;
    this.aSum = new Float64Array(this.k);
    this.abSum = new Float64Array(this.k);
    this.aaSum = new Float64Array((this.k * (this.k + 1)) / 2);
  }

  /** Rows fitted so far (the window is rows 0 … rowCount − 1). */
  get rowCount(): number {
    return this.rows;
  }

  /** Extends the window to rows 0 … end − 1. */
  extendTo(end: number): void {
    const { k, features, label, aSum, abSum, aaSum } = this;
    // The row's values gathered once (the engine's `row`), the scalar sums kept in locals.
    const row = new Float64Array(k);
    let { wSum, bSum, bbSum } = this;
    for (let r = this.rows; r < end; r++) {
      const b = label[r];
      wSum += 1.0;
      bSum += b;
      bbSum += b * b;
      for (let j = 0; j < k; j++) {
        const x = features[j][r];
        row[j] = x;
        aSum[j] += x;
        abSum[j] = fma(b, x, abSum[j]);
      }
      for (let j = 0, p = 0; j < k; p += j + 1, j++) {
        const xj = row[j];
        if (xj !== 0) for (let i = 0; i <= j; i++) aaSum[p + i] += row[i] * xj;
      }
    }
    this.wSum = wSum;
    this.bSum = bSum;
    this.bbSum = bbSum;
    this.rows = Math.max(this.rows, end);
  }

  /**
   * The fit on the current window: the engine's solve (standardise, penalise, Cholesky, fallback or
   * OWL-QN, scale back), without the standard errors no walk-forward reads (`diagInvAtWA` is null).
   */
  solve(): WlsSolution {
    if (this.rows === 0) throw new Error('Training dataset is empty.');
    return solveWeightedLeastSquares({
      wSum: this.wSum,
      bSum: this.bSum,
      bbSum: this.bbSum,
      aSum: this.aSum,
      abSum: this.abSum,
      aaSum: this.aaSum,
    }, this.featureNames, this.regularisation, { standardErrors: false });
  }
}
