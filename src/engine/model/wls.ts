/**
 * Ordinary least squares with an intercept, solved the way Spark ML's `LinearRegression()` does
 * with its defaults (solver "auto" → "normal" for ≤ 4096 features, regParam 0, standardization on):
 * `ml/optim/WeightedLeastSquares.scala` with `standardizeLabel = true`, `CholeskySolver` from
 * `ml/optim/NormalEquationSolver.scala`, and `mllib/linalg/CholeskyDecomposition.scala`, which calls
 * LAPACK `dppsv` (= `dpptrf` + `dpptrs`) and `dpptri` on the packed upper triangle.
 *
 * Objective (unit weights w_i = 1, n rows, features a_i ∈ R^k, label b_i):
 *
 *   min_{x, z}  1/(2n) Σ_i (a_iᵀ x + z − b_i)²
 *
 * Math, in Spark's order:
 *   1. One pass over the rows (Spark's `Aggregator.add`): wSum = Σ w, bSum = Σ w b, bbSum = Σ w b²,
 *      aSum = Σ w a, abSum = Σ (w b) a, aaSum = Σ w a aᵀ (packed upper, BLAS `dspr`:
 *      aaSum[i,j] += a_i · (w a_j)). Spark's `BLAS.axpy` on short vectors runs netlib's
 *      `Java11BLAS.daxpy` (Java 11+), which is `Math.fma(alpha, x, y)`: abSum is accumulated with a
 *      fused multiply-add (./fma.ts). Without it the coefficients differ from Spark's in the last
 *      ~3 digits (1e-12 relative); with it they were bit-identical to PySpark 3.5.3 on Java 17.
 *      (`dspr` and the F2J LAPACK routines use no FMA.)
 *   2. Means by `BLAS.scal(1/wSum)`: aBar, abBar, aaBar (a multiplication by the reciprocal);
 *      bBar = bSum / wSum; population std devs bStd = √max(bbSum/wSum − bBar², 0),
 *      aStd_j = √max(aaSum_jj/wSum − (aSum_j/wSum)², 0).
 *   3. A constant label (bStd = 0): coefficients 0, intercept = bBar, no statistics (Spark returns
 *      before solving).
 *   4. Standardize (scale, do not centre): aBar_j /= aStd_j, abBar_j /= (aStd_j · bStd),
 *      aaBar_ij /= (aStd_i · aStd_j), bBar /= bStd; a zero std makes the entry 0.
 *   5. AᵀA = [[aaBar, aBar], [aBarᵀ, 1]] (intercept column last), Aᵀb = [abBar, bBar]; Cholesky
 *      AᵀA = UᵀU (`dpptrf`), solve (`dpptrs`), invert from the factor (`dpptri`).
 *   6. Back to the original scale: coefficient_j = x_j · (bStd / aStd_j) (0 where aStd_j = 0),
 *      intercept = x_k · bStd; diag((AᵀWA)⁻¹)_j = inv_jj / (wSum · aStd_j²), intercept: inv_kk / wSum.
 *
 * With a penalty (λ = regParam > 0, α = elasticNetParam; docs/regularisation.md#the-penalty), between
 * steps 4 and 5 the L2 part (1 − α)·λ/bStd joins every feature's diagonal entry; with α > 0 Spark skips
 * Cholesky and runs OWL-QN (./owlqn.ts) on the same system with L1 weight α·λ/bStd (solver `owlqn`).
 *
 * When the factorisation fails (a constant feature, or features collinear with each other or with the
 * intercept, e.g. volume and marketCap affine in price), Spark's `WeightedLeastSquares` (solver
 * "auto") catches the `SingularMatrixException` and retries with `QuasiNewtonSolver`
 * (`NormalEquationSolver.scala`): Breeze L-BFGS (maxIter 100, memory 10, tol 1e-6) on the same
 * standardized quadratic ½ xᵀ(AᵀA)x − xᵀ(Aᵀb) + ½ bbBar (bbBar = Σb²/n / bStd²), started at
 * x = (0, …, 0, bBar). ./quasiNewton.ts runs that iteration step for step in the same arithmetic
 * order; on the same sums it gives Spark's coefficients bit for bit (test/engine/model/quasiNewton.test.ts). It
 * heads for the minimum-norm solution over the centred features, but stops at maxIter or its
 * tolerance, on ill-conditioned indicator sets far from it, and then the result is very sensitive to
 * the last bits of the input (docs/output.md). A constant feature's coefficient stays exactly 0.
 * There is no (AᵀA)⁻¹, hence no diagInvAtWA (solver `fallback`).
 *
 * Overflow: values near 1e300 make Σ a² infinite and every coefficient NaN (Spark returns that
 * model). The fit refuses instead (`FitOverflowError`, exit 2): the sums and the solution must be
 * finite.
 *
 * Why hand-written: the point is to repeat Spark's arithmetic in Spark's order, so that the result
 * agrees with Spark bit for bit even on ill-conditioned features (price vs marketCap; checked against
 * PySpark 3.5.3 on Java 17, test/parity/sparkReference.test.ts). On Java 8 netlib picks Java8BLAS (no FMA) and
 * Spark's own results move by ~1e-12 relative. A library solve
 * would not: `ml-regression-multivariate-linear` on raw features returns a price coefficient of
 * ~1e-18 instead of ~0.985 (its SVD drops the small singular values; docs/fit.md). The LAPACK
 * routines in ./lapack.ts follow reference LAPACK/BLAS, which is what Spark runs when no native
 * LAPACK is installed (netlib F2J translation), column by column in the same operation order.
 */

import { UsageError } from '../errors.js';
import { fma } from './fma.js';
import { solveNormalEquationQuasiNewton, type NormalEquationProblem } from './quasiNewton.js';
import { solveNormalEquationOwlqn } from './owlqn.js';
import { dpptrf, dpptri, dpptrs, packedUpper } from './lapack.js';

/**
 * The training data's sums overflow a double (values of magnitude ~1e154 and beyond): the fit would
 * be all NaN. A usage error (exit 2): the user can rescale the column.
 */
export class FitOverflowError extends UsageError {
}

export interface WlsSolution {
  /** One per feature column, in input order. */
  coefficients: Float64Array;
  intercept: number;
  /**
   * Diagonal of (AᵀWA)⁻¹ on the original scale, length k + 1, intercept last; null when Spark has
   * none (Cholesky failed, or the label is constant).
   */
  diagInvAtWA: Float64Array | null;
  /**
   * `cholesky`: Spark's normal-equation path (also for a constant label, where Spark returns before
   * solving). `fallback`: Cholesky failed; Spark's L-BFGS (./quasiNewton.ts). `owlqn`: an elastic-net
   * or lasso penalty; Spark's OWL-QN (./owlqn.ts).
   */
  solver: Solver;
  /** `fallback`, `owlqn`: the objective at every state (Spark's `summary.objectiveHistory`). */
  objectiveHistory?: number[];
}

export type Solver = 'cholesky' | 'fallback' | 'owlqn';

/**
 * Spark's `regParam` (λ ≥ 0) and `elasticNetParam` (α in [0, 1]) (docs/regularisation.md#the-penalty).
 * λ = 0 is the unpenalised fit; α = 0 ridge, α = 1 lasso.
 */
export interface Regularisation {
  regParam: number;
  elasticNetParam: number;
}

export const NO_REGULARISATION: Regularisation = { regParam: 0, elasticNetParam: 0 };

/** What λ must be (docs/regularisation.md#bad-values); undefined when it is fine. Settings and sets files use it too. */
export const regParamProblem = (v: number) => (Number.isFinite(v) && v >= 0 ? undefined : 'a finite number ≥ 0');
/** What α must be. */
export const elasticNetProblem = (v: number) => (v >= 0 && v <= 1 ? undefined : 'a number between 0 and 1');

/**
 * Fit `label ≈ features · coefficients + intercept` as Spark ML's LinearRegression (normal solver).
 * @param features the feature columns (each of the label's length)
 * @param label the label column
 * @param featureNames the columns' names, for error messages only (default "feature column j")
 * @example fitWeightedLeastSquares([Float64Array.of(0, 1, 2)], Float64Array.of(1, 3, 5))
 *   // → coefficients [2], intercept 1
 */
export function fitWeightedLeastSquares(
  features: Float64Array[],
  label: Float64Array,
  featureNames?: readonly string[],
  regularisation: Regularisation = NO_REGULARISATION,
): WlsSolution {
  const k = features.length;
  const n = label.length;
  if (n === 0) throw new Error('Training dataset is empty.');
  for (let j = 0; j < k; j++) {
    if (features[j].length !== n) {
      throw new RangeError(`feature column ${j} has ${features[j].length} rows, label has ${n}`);
    }
  }

  // 1. Spark's Aggregator: one pass, rows in order, unit weight.
  const w = 1.0;
  const triK = (k * (k + 1)) / 2;
  let wSum = 0;
  let bSum = 0;
  let bbSum = 0;
  const aSum = new Float64Array(k);
  const abSum = new Float64Array(k);
  const aaSum = new Float64Array(triK);
  const row = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const b = label[r];
    for (let j = 0; j < k; j++) row[j] = features[j][r];
    wSum += w;
    bSum += w * b;
    bbSum += w * b * b;
    const wb = w * b;
    for (let j = 0; j < k; j++) {
      // BLAS.axpy(w, f, aSum): Math.fma(1, x, y) rounds exactly like y + x, so a plain add.
      aSum[j] += w * row[j];
      // BLAS.axpy(w * l, f, abSum): Java11BLAS computes y = Math.fma(alpha, x, y).
      abSum[j] = fma(wb, row[j], abSum[j]);
    }
    // BLAS.spr(w, f, aaSum) = reference dspr('U'): column j, rows 0..j.
    let p = 0;
    for (let j = 0; j < k; j++) {
      const xj = row[j];
      if (xj !== 0) {
        const temp = w * xj;
        for (let i = 0; i <= j; i++) aaSum[p + i] += row[i] * temp;
      }
      p += j + 1;
    }
  }

  return solveWeightedLeastSquares({ wSum, bSum, bbSum, aSum, abSum, aaSum }, featureNames, regularisation);
}

/**
 * Spark's Aggregator state after its pass over the rows (step 1), unit weights: what the solve
 * needs. aaSum is the packed upper triangle (column-major).
 */
export interface WlsSums {
  wSum: number;
  bSum: number;
  bbSum: number;
  aSum: Float64Array;
  abSum: Float64Array;
  aaSum: Float64Array;
}

/**
 * Steps 2-6 from the sums: what `fitWeightedLeastSquares` does after its pass over the rows. Exported
 * so an expanding window (src/experiment/expandingFit.ts) can keep the sums and refit without
 * re-reading every row; sums formed in the same row order give the same solution bit for bit. The
 * sums are not modified.
 * @param featureNames the columns' names, for error messages only (default "feature column j")
 * @param standardErrors false: no `diagInvAtWA` (null), for callers that use only the coefficients
 */
export function solveWeightedLeastSquares(
  sums: WlsSums,
  featureNames?: readonly string[],
  regularisation: Regularisation = NO_REGULARISATION,
  { standardErrors = true }: { standardErrors?: boolean } = {},
): WlsSolution {
  assertFiniteSums(sums, featureNames);
  return new WlsWorkspace(sums.aSum.length, featureNames, regularisation).solve(sums, standardErrors).solution();
}

/**
 * Steps 2-6 in arrays allocated once per feature count k: a walk-forward refits thousands of times
 * on the same k (docs/experiment.md#walk-forward), and each solve of `solveWeightedLeastSquares`
 * would otherwise allocate a dozen small arrays. `solve` overwrites the previous solution; every
 * operation and its order are `solveWeightedLeastSquares`'s (that function is this one on a fresh
 * workspace), so the results are the same bit for bit. Only the fallback and OWL-QN paths allocate.
 */
export class WlsWorkspace {
  /** The solution of the last `solve`, one per feature (overwritten by the next). */
  readonly coefficients: Float64Array;
  intercept = 0;
  solver: Solver = 'cholesky';
  /** `fallback`, `owlqn`: Spark's objective history of the last solve. */
  objectiveHistory: number[] | undefined = undefined;
  /** Whether the last solve left (AᵀA)⁻¹ (standardised, packed) in `factor`. */
  private hasInverse = false;
  /** The last solve's row count (Σ w). */
  private wSum = 0;

  private readonly k: number;
  private readonly triK: number;
  private readonly aStd: Float64Array;
  /** The standardised, penalised system AᵀA = [[aaBar, aBar], [aBarᵀ, 1]] packed (getAtA), before factorising. */
  private readonly aa: Float64Array;
  /** aBar: the view of `aa` where Spark's getAtA puts it (column k). */
  private readonly aBar: Float64Array;
  /** Aᵀb = [abBar, bBar] (getAtB). */
  private readonly ab: Float64Array;
  /** `aa` factorised in place (dpptrf), then its inverse (dpptri) when standard errors are wanted. */
  private readonly factor: Float64Array;
  /** The standardised solution, intercept last (dpptrs on a copy of `ab`). */
  private readonly x: Float64Array;
  private readonly l1Reg: number;
  private readonly l2Reg: number;

  /**
   * @param featureNames the columns' names, for error messages only
   * @param regularisation checked here, once (library callers reach the solve without the settings' checks)
   */
  constructor(
    k: number,
    private readonly featureNames?: readonly string[],
    private readonly regularisation: Regularisation = NO_REGULARISATION,
  ) {
    const penaltyProblem = regParamProblem(regularisation.regParam) ?? elasticNetProblem(regularisation.elasticNetParam);
    if (penaltyProblem) {
      const which = regParamProblem(regularisation.regParam) ? `regParam ${regularisation.regParam}` : `elasticNetParam ${regularisation.elasticNetParam}`;
      throw new UsageError(`${which}: expected ${penaltyProblem}`);
    }
    this.k = k;
    this.triK = (k * (k + 1)) / 2;
    this.coefficients = new Float64Array(k);
    this.aStd = new Float64Array(k);
    this.aa = new Float64Array(this.triK + k + 1);
    this.aBar = this.aa.subarray(this.triK, this.triK + k);
    this.ab = new Float64Array(k + 1);
    this.factor = new Float64Array(this.aa.length);
    this.x = new Float64Array(k + 1);
    this.l1Reg = regularisation.elasticNetParam;
    this.l2Reg = 1.0 - regularisation.elasticNetParam;
  }

  /**
   * Solves on `sums` (k features); the result is in `coefficients`, `intercept`, `solver`. Throws
   * FitOverflowError on non-finite sums or solution.
   * @param withInverse also (AᵀA)⁻¹ (dpptri), for the standard errors (`diagInvAtWA`)
   */
  solve(sums: WlsSums, withInverse = false): this {
    const { k, triK, aStd, aa, aBar, ab, factor, x, coefficients } = this;
    const { wSum, bSum, bbSum, aSum, abSum, aaSum } = sums;
    if (aSum.length !== k) throw new RangeError(`${aSum.length} features for a workspace of ${k}`);
    assertFiniteSums(sums, this.featureNames);
    this.objectiveHistory = undefined;
    this.hasInverse = false;
    this.wSum = wSum;

    // 2. Summary statistics, as the Aggregator's accessors compute them: aBar, abBar, aaBar are
    // BLAS dscal by 1/wSum (invWSum · value), the rest divisions by wSum.
    const invWSum = 1.0 / wSum;
    const rawBBar = bSum / wSum;
    const rawBStd = Math.sqrt(Math.max(bbSum / wSum - rawBBar * rawBBar, 0.0));
    for (let j = 0; j < k; j++) {
      const aw = aSum[j] / wSum;
      aStd[j] = Math.sqrt(Math.max(aaSum[packedUpper(j, j)] / wSum - aw * aw, 0.0));
    }

    // 3. Constant label: Spark returns coefficients 0, intercept = mean, diagInvAtWA = [0] (none).
    if (rawBStd === 0) {
      coefficients.fill(0);
      this.intercept = rawBBar;
      this.solver = 'cholesky';
      return this;
    }
    const bStd = rawBStd;

    // 4. Standardize (Spark scales aBar, abBar, aaBar; a zero std gives 0), straight into the system.
    const bBar = rawBBar / bStd;
    for (let j = 0; j < k; j++) {
      aBar[j] = aStd[j] === 0.0 ? 0.0 : (invWSum * aSum[j]) / aStd[j];
      ab[j] = aStd[j] === 0.0 ? 0.0 : (invWSum * abSum[j]) / (aStd[j] * bStd);
    }
    ab[k] = bBar;
    for (let j = 0, p = 0; j < k; j++) {
      for (let i = 0; i <= j; i++, p++) {
        aa[p] = aStd[j] === 0.0 || aStd[i] === 0.0 ? 0.0 : (invWSum * aaSum[p]) / (aStd[i] * aStd[j]);
      }
    }
    aa[triK + k] = 1.0;
    // The penalty (docs/regularisation.md#the-penalty): λ/δ split into its L1 and L2 parts; the L2 part
    // joins the standardized diagonal (with λ = 0 that adds 0.0, leaving the unpenalised sums as they are).
    const { regParam, elasticNetParam } = this.regularisation;
    const effectiveRegParam = regParam / bStd;
    const effectiveL1RegParam = this.l1Reg * effectiveRegParam;
    const effectiveL2RegParam = this.l2Reg * effectiveRegParam;
    for (let j = 0; j < k; j++) aa[packedUpper(j, j)] += effectiveL2RegParam;

    let solution: Float64Array; // standardized, length k + 1, intercept last
    if (elasticNetParam !== 0.0 && regParam !== 0.0) {
      // Spark's solver "auto" with an L1 part: QuasiNewtonSolver with OWL-QN, the intercept unpenalised.
      const l1 = new Float64Array(k + 1).fill(effectiveL1RegParam);
      l1[k] = 0.0;
      const owlqn = solveNormalEquationOwlqn(this.problem(bbSum / wSum / (bStd * bStd)), l1);
      solution = owlqn.x;
      this.objectiveHistory = owlqn.objectiveHistory;
      this.solver = 'owlqn';
    } else {
      // 5. Cholesky on the full system (features + intercept): dppsv = dpptrf + dpptrs.
      // Copies by loop: TypedArray.set costs more than the copy at these sizes.
      for (let p = 0; p < factor.length; p++) factor[p] = aa[p];
      for (let j = 0; j <= k; j++) x[j] = ab[j];
      let factored = dpptrf(k + 1, factor) === 0;
      if (factored) {
        dpptrs(k + 1, factor, x);
        // The inverse (dpptri) only feeds the standard errors: a caller that prints none (a walk-forward's
        // refits) skips it; it cannot fail once the factorisation has succeeded, so the solution is the same.
        if (withInverse) factored = this.hasInverse = dpptri(k + 1, factor) === 0;
      }
      if (factored) {
        solution = x;
        this.solver = 'cholesky';
      } else {
        // Spark's catch: QuasiNewtonSolver (no L1) on the same aa, ab.
        const quasiNewton = solveNormalEquationQuasiNewton(this.problem(bbSum / wSum / (bStd * bStd)));
        solution = quasiNewton.x;
        this.objectiveHistory = quasiNewton.objectiveHistory;
        this.solver = 'fallback';
      }
    }

    // 6. Back to the original scale.
    let finite = true;
    for (let j = 0; j < k; j++) {
      const c = solution[j] * (aStd[j] !== 0.0 ? bStd / aStd[j] : 0.0);
      coefficients[j] = c;
      if (!Number.isFinite(c)) finite = false;
    }
    const intercept = solution[k] * bStd;
    this.intercept = intercept;
    if (!finite || !Number.isFinite(intercept)) {
      throw new FitOverflowError(
        `the fit overflows: the ${wSum} training rows give a non-finite coefficient or intercept ` +
          `(features or label too large or too spread for double precision); rescale the data and rerun`,
      );
    }
    return this;
  }

  /** The last solve as a WlsSolution of its own (copies), with diag((AᵀWA)⁻¹) when it has the inverse. */
  solution(): WlsSolution {
    const { coefficients, intercept, solver, objectiveHistory } = this;
    let diagInvAtWA: Float64Array | null = null;
    if (this.hasInverse) {
      // Step 6 for the inverse: back to the original scale, intercept last.
      const { aStd, factor, wSum } = this;
      const size = this.k + 1;
      diagInvAtWA = new Float64Array(size);
      for (let i = 1; i <= size; i++) {
        const multiplier = i === size ? 1.0 : aStd[i - 1] * aStd[i - 1];
        diagInvAtWA[i - 1] = factor[i + ((i - 1) * i) / 2 - 1] / (wSum * multiplier);
      }
    }
    const solution: WlsSolution = { coefficients: coefficients.slice(), intercept, diagInvAtWA, solver };
    if (objectiveHistory !== undefined) solution.objectiveHistory = objectiveHistory;
    return solution;
  }

  /** The quasi-Newton solvers' view of the same system (getAtA/getAtB), in arrays of its own. */
  private problem(bbBar: number): NormalEquationProblem {
    return { aa: this.aa.slice(), ab: this.ab.slice(), aBar: this.aBar.slice(), bBar: this.ab[this.k], bbBar };
  }
}

/**
 * Σ b², Σ a_j², Σ b a_j overflow first (Σ a_i a_j, i ≠ j, is bounded by them): any of them infinite
 * means a value of magnitude ≳ 1e154 or a huge row count times a large value. Names the column.
 */
function assertFiniteSums(sums: WlsSums, featureNames: readonly string[] | undefined): void {
  const k = sums.aSum.length;
  const names = featureNames?.length === k ? featureNames : Array.from({ length: k }, (_, j) => `feature column ${j + 1}`);
  let culprit: string | null = null;
  for (let j = 0; j < k && culprit === null; j++) {
    if (!Number.isFinite(sums.aaSum[packedUpper(j, j)])) culprit = names[j];
  }
  if (culprit === null && !Number.isFinite(sums.bbSum)) culprit = 'the label';
  for (let j = 0; j < k && culprit === null; j++) if (!Number.isFinite(sums.abSum[j])) culprit = `the label times ${names[j]}`;
  if (culprit === null) return;
  throw new FitOverflowError(
    `the fit overflows: the sum of squares of ${culprit} over the ${sums.wSum} training rows exceeds the ` +
      `largest double (values of magnitude ~1e154 and above overflow it); rescale the column and rerun`,
  );
}
