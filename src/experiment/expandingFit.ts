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
import { NO_REGULARISATION, WlsWorkspace, type Regularisation, type WlsSolution, type WlsSums } from '../engine/model/wls.js';

export class ExpandingFit {
  private readonly k: number;
  private rows = 0;
  /** Spark's Aggregator fields over rows 0 … rows − 1. */
  private readonly sums: WlsSums;
  /** The row being added (the engine's `row`). */
  private readonly row: Float64Array;
  /** The solve's arrays, reused by every refit. */
  private readonly workspace: WlsWorkspace;

  /**
   * @param features the feature columns of the whole series; @param label its label column
   * @param featureNames the columns' names, for the message when the sums overflow
   * @param regularisation λ and α of every refit (docs/regularisation.md): ridge stays a solve on
   *   these sums; an L1 part runs OWL-QN on them at each refit
   */
  constructor(
    private readonly features: readonly Float64Array[],
    private readonly label: Float64Array,
    featureNames?: readonly string[],
    regularisation: Regularisation = NO_REGULARISATION,
  ) {
    this.k = features.length;
    this.sums = {
      wSum: 0,
      bSum: 0,
      bbSum: 0,
      aSum: new Float64Array(this.k),
      abSum: new Float64Array(this.k),
      aaSum: new Float64Array((this.k * (this.k + 1)) / 2),
    };
    this.row = new Float64Array(this.k);
    this.workspace = new WlsWorkspace(this.k, featureNames, regularisation);
  }

  /** Rows fitted so far (the window is rows 0 … rowCount − 1). */
  get rowCount(): number {
    return this.rows;
  }

  /** Extends the window to rows 0 … end − 1. */
  extendTo(end: number): void {
    const { k, features, label, sums, row } = this;
    const { aSum, abSum, aaSum } = sums;
    // The scalar sums kept in locals.
    let { wSum, bSum, bbSum } = sums;
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
    sums.wSum = wSum;
    sums.bSum = bSum;
    sums.bbSum = bbSum;
    this.rows = Math.max(this.rows, end);
  }

  /**
   * The fit on the current window, in the workspace the next refit overwrites: the engine's solve
   * (standardise, penalise, Cholesky, fallback or OWL-QN, scale back) without the inverse no
   * walk-forward reads.
   */
  refit(): WlsWorkspace {
    if (this.rows === 0) throw new Error('Training dataset is empty.');
    return this.workspace.solve(this.sums);
  }

  /** `refit` as a solution of its own (no `diagInvAtWA`). */
  solve(): WlsSolution {
    return this.refit().solution();
  }
}
