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
 * When the factorisation fails (a constant feature has aStd = 0, so its row and column of AᵀA are
 * zero), Spark retries with L-BFGS (tol 1e-6), whose iterates never move the zero-std coefficients
 * off 0; its limit is the least-squares solution without those features. We compute that limit
 * directly: the same Cholesky solve on the reduced system (solver `fallback`, no (AᵀA)⁻¹ so no
 * diagInvAtWA). Should the reduced system still not factor (exact collinearity), features whose
 * pivot fails are dropped one at a time as well.
 *
 * Why hand-written: the point is to repeat Spark's arithmetic in Spark's order, so that the result
 * agrees with Spark bit for bit even on ill-conditioned features (price vs marketCap; checked against
 * PySpark 3.5.3 on Java 17, test/spark-reference.test.ts). On Java 8 netlib picks Java8BLAS (no FMA) and
 * Spark's own results move by ~1e-12 relative. A library solve
 * would not: `ml-regression-multivariate-linear` on raw features returns a price coefficient of
 * ~1e-18 instead of ~0.985 (its SVD drops the small singular values; SPEC.md section 6). The LAPACK
 * routines below follow reference LAPACK/BLAS (`dpptrf`, `dpptrs`, `dpptri`, `dtptri`, `dtpsv`,
 * `dtpmv`, `dspr`, `ddot`, `dscal`), which is what Spark runs when no native LAPACK is installed
 * (netlib F2J translation), column by column in the same operation order.
 */

import { fma } from './fma.js';

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
   * solving). `fallback`: Cholesky failed and Spark would use L-BFGS; we solve the reduced system.
   */
  solver: 'cholesky' | 'fallback';
}

/**
 * Fit `label ≈ features · coefficients + intercept` as Spark ML's LinearRegression (normal solver).
 * @param features the feature columns (each of the label's length)
 * @param label the label column
 * @example fitWeightedLeastSquares([Float64Array.of(0, 1, 2)], Float64Array.of(1, 3, 5))
 *   // → coefficients [2], intercept 1
 */
export function fitWeightedLeastSquares(features: Float64Array[], label: Float64Array): WlsSolution {
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

  // 2. Summary statistics, as the Aggregator's accessors compute them.
  const invWSum = 1.0 / wSum;
  const aBar = scaled(aSum, invWSum);
  const abBar = scaled(abSum, invWSum);
  const aaBar = scaled(aaSum, invWSum);
  const rawBBar = bSum / wSum;
  const rawBStd = Math.sqrt(Math.max(bbSum / wSum - rawBBar * rawBBar, 0.0));
  const aStd = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const aw = aSum[j] / wSum;
    aStd[j] = Math.sqrt(Math.max(aaSum[packedUpper(j, j)] / wSum - aw * aw, 0.0));
  }

  // 3. Constant label: Spark returns coefficients 0, intercept = mean, diagInvAtWA = [0] (none).
  if (rawBStd === 0) {
    return { coefficients: new Float64Array(k), intercept: rawBBar, diagInvAtWA: null, solver: 'cholesky' };
  }
  const bStd = rawBStd;

  // 4. Standardize in place (Spark scales aBar, abBar, aaBar; a zero std gives 0).
  const bBar = rawBBar / bStd;
  for (let j = 0; j < k; j++) {
    aBar[j] = aStd[j] === 0.0 ? 0.0 : aBar[j] / aStd[j];
    abBar[j] = aStd[j] === 0.0 ? 0.0 : abBar[j] / (aStd[j] * bStd);
  }
  for (let j = 0, p = 0; j < k; j++) {
    for (let i = 0; i <= j; i++, p++) {
      aaBar[p] = aStd[j] === 0.0 || aStd[i] === 0.0 ? 0.0 : aaBar[p] / (aStd[i] * aStd[j]);
    }
  }
  // (Spark then adds the L2 penalty to the diagonal; with regParam = 0 that adds 0.0.)

  // 5. Cholesky on the full system (features + intercept).
  const all = Array.from({ length: k }, (_, j) => j);
  const full = trySolve(aaBar, aBar, abBar, bBar, all, true);
  let x: Float64Array; // standardized solution, length k + 1, intercept last
  let inverse: Float64Array | null = null;
  let solver: WlsSolution['solver'];
  if (full.failedColumn === 0) {
    x = full.x;
    inverse = full.inverse;
    solver = 'cholesky';
  } else {
    x = solveFallback(aaBar, aBar, abBar, bBar, aStd);
    solver = 'fallback';
  }

  // 6. Back to the original scale.
  const coefficients = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    coefficients[j] = x[j] * (aStd[j] !== 0.0 ? bStd / aStd[j] : 0.0);
  }
  const intercept = x[k] * bStd;
  let diagInvAtWA: Float64Array | null = null;
  if (inverse !== null) {
    const size = k + 1;
    diagInvAtWA = new Float64Array(size);
    for (let i = 1; i <= size; i++) {
      const multiplier = i === size ? 1.0 : aStd[i - 1] * aStd[i - 1];
      diagInvAtWA[i - 1] = inverse[i + ((i - 1) * i) / 2 - 1] / (wSum * multiplier);
    }
  }
  return { coefficients, intercept, diagInvAtWA, solver };
}

function scaled(values: Float64Array, factor: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = factor * values[i]; // BLAS dscal: da * dx(i)
  return out;
}

/**
 * Build AᵀA (packed upper) and Aᵀb over the chosen feature indices plus the intercept column
 * (Spark's `getAtA`/`getAtB`), then `dppsv` and optionally `dpptri`. `failedColumn` is LAPACK's
 * INFO (> 0: not positive definite, Spark's SingularMatrixException), 0 on success; then `x` holds
 * the solution scattered back to length k + 1 (unchosen features 0, intercept last).
 */
function trySolve(
  aaBar: Float64Array,
  aBar: Float64Array,
  abBar: Float64Array,
  bBar: number,
  chosen: number[],
  withInverse: boolean,
): { x: Float64Array; inverse: Float64Array | null; failedColumn: number } {
  const k = aBar.length;
  const m = chosen.length;
  const size = m + 1;
  const ata = new Float64Array((size * (size + 1)) / 2);
  let p = 0;
  for (let jj = 0; jj < m; jj++) {
    const j = chosen[jj];
    for (let ii = 0; ii <= jj; ii++) ata[p++] = aaBar[packedUpper(chosen[ii], j)];
  }
  for (let jj = 0; jj < m; jj++) ata[p++] = aBar[chosen[jj]];
  ata[p] = 1.0;
  const atb = new Float64Array(size);
  for (let jj = 0; jj < m; jj++) atb[jj] = abBar[chosen[jj]];
  atb[m] = bBar;

  const x = new Float64Array(k + 1);
  const info = dpptrf(size, ata);
  if (info !== 0) return { x, inverse: null, failedColumn: info };
  dpptrs(size, ata, atb);
  let inverse: Float64Array | null = null;
  if (withInverse) {
    if (dpptri(size, ata) !== 0) return { x, inverse: null, failedColumn: size };
    inverse = ata;
  }
  for (let jj = 0; jj < m; jj++) x[chosen[jj]] = atb[jj];
  x[k] = atb[m];
  return { x, inverse, failedColumn: 0 };
}

/** Index of element (i, j), i <= j, in a packed upper triangle (column-major). */
function packedUpper(i: number, j: number): number {
  return (j * (j + 1)) / 2 + i;
}

/**
 * The exact solution L-BFGS approaches when Cholesky fails: drop zero-std features (their
 * coefficient stays 0); if the rest still does not factor, drop the feature whose pivot failed and
 * retry.
 */
function solveFallback(
  aaBar: Float64Array,
  aBar: Float64Array,
  abBar: Float64Array,
  bBar: number,
  aStd: Float64Array,
): Float64Array {
  const chosen: number[] = [];
  for (let j = 0; j < aStd.length; j++) if (aStd[j] !== 0.0) chosen.push(j);
  for (;;) {
    const result = trySolve(aaBar, aBar, abBar, bBar, chosen, false);
    if (result.failedColumn === 0) return result.x;
    const failed = result.failedColumn - 1; // 0-based column of the reduced system
    if (failed >= chosen.length) {
      throw new Error('least squares: the intercept column is not positive definite');
    }
    chosen.splice(failed, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Reference LAPACK/BLAS on a packed upper triangle `ap` (column-major: column j holds rows 1..j).
// Indices follow the Fortran (1-based) text with `- 1` at each array access.

/** DPPTRF('U'): A = UᵀU in place. Returns INFO: 0, or the column j whose pivot is not positive. */
function dpptrf(n: number, ap: Float64Array): number {
  let jj = 0;
  for (let j = 1; j <= n; j++) {
    const jc = jj + 1;
    jj += j;
    // Elements 1:j-1 of column j: solve Uᵀ (col) = (col).
    if (j > 1) dtpsvUpperTrans(j - 1, ap, ap, jc - 1);
    const ajj = ap[jj - 1] - ddot(j - 1, ap, jc - 1, ap, jc - 1);
    if (ajj <= 0.0) {
      ap[jj - 1] = ajj;
      return j;
    }
    ap[jj - 1] = Math.sqrt(ajj);
  }
  return 0;
}

/** DPPTRS('U', NRHS = 1): solve UᵀU x = b given the factor from dpptrf; b is overwritten by x. */
function dpptrs(n: number, ap: Float64Array, b: Float64Array): void {
  dtpsvUpperTrans(n, ap, b, 0);
  dtpsvUpperNoTrans(n, ap, b, 0);
}

/** DPPTRI('U'): from the factor U, the upper triangle of (UᵀU)⁻¹ = U⁻¹U⁻ᵀ in place. */
function dpptri(n: number, ap: Float64Array): number {
  const info = dtptriUpper(n, ap);
  if (info > 0) return info;
  let jj = 0;
  for (let j = 1; j <= n; j++) {
    const jc = jj + 1;
    jj += j;
    if (j > 1) dsprUpper(j - 1, 1.0, ap, jc - 1, ap);
    const ajj = ap[jj - 1];
    dscal(j, ajj, ap, jc - 1);
  }
  return 0;
}

/** DTPTRI('U', 'N'): invert the upper triangular U in place. */
function dtptriUpper(n: number, ap: Float64Array): number {
  for (let info = 1, jj = 0; info <= n; info++) {
    jj += info;
    if (ap[jj - 1] === 0.0) return info;
  }
  let jc = 1;
  for (let j = 1; j <= n; j++) {
    ap[jc + j - 2] = 1.0 / ap[jc + j - 2];
    const ajj = -ap[jc + j - 2];
    // Elements 1:j-1 of column j.
    dtpmvUpperNoTrans(j - 1, ap, ap, jc - 1);
    dscal(j - 1, ajj, ap, jc - 1);
    jc += j;
  }
  return 0;
}

/** DTPSV('U', 'T', 'N', incx = 1): x := U⁻ᵀ x, x at x[xo .. xo + n - 1]. */
function dtpsvUpperTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
  let kk = 1;
  for (let j = 1; j <= n; j++) {
    let temp = x[xo + j - 1];
    let k = kk;
    for (let i = 1; i <= j - 1; i++) {
      temp = temp - ap[k - 1] * x[xo + i - 1];
      k++;
    }
    temp = temp / ap[kk + j - 2];
    x[xo + j - 1] = temp;
    kk += j;
  }
}

/** DTPSV('U', 'N', 'N', incx = 1): x := U⁻¹ x. */
function dtpsvUpperNoTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
  let kk = (n * (n + 1)) / 2;
  for (let j = n; j >= 1; j--) {
    if (x[xo + j - 1] !== 0.0) {
      x[xo + j - 1] = x[xo + j - 1] / ap[kk - 1];
      const temp = x[xo + j - 1];
      let k = kk - 1;
      for (let i = j - 1; i >= 1; i--) {
        x[xo + i - 1] = x[xo + i - 1] - temp * ap[k - 1];
        k--;
      }
    }
    kk -= j;
  }
}

/** DTPMV('U', 'N', 'N', incx = 1): x := U x. */
function dtpmvUpperNoTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
  let kk = 1;
  for (let j = 1; j <= n; j++) {
    if (x[xo + j - 1] !== 0.0) {
      const temp = x[xo + j - 1];
      let k = kk;
      for (let i = 1; i <= j - 1; i++) {
        x[xo + i - 1] = x[xo + i - 1] + temp * ap[k - 1];
        k++;
      }
      x[xo + j - 1] = x[xo + j - 1] * ap[kk + j - 2];
    }
    kk += j;
  }
}

/** DSPR('U', incx = 1): A := alpha x xᵀ + A on the packed upper triangle. */
function dsprUpper(n: number, alpha: number, x: Float64Array, xo: number, ap: Float64Array): void {
  let kk = 1;
  for (let j = 1; j <= n; j++) {
    if (x[xo + j - 1] !== 0.0) {
      const temp = alpha * x[xo + j - 1];
      let k = kk;
      for (let i = 1; i <= j; i++) {
        ap[k - 1] = ap[k - 1] + x[xo + i - 1] * temp;
        k++;
      }
    }
    kk += j;
  }
}

/**
 * DDOT(incx = incy = 1). The reference routine unrolls by 5, but Fortran (and its F2J translation)
 * evaluates `DTEMP + a + b + …` left to right, so the sum is the plain sequential one.
 */
function ddot(n: number, x: Float64Array, xo: number, y: Float64Array, yo: number): number {
  let dtemp = 0.0;
  for (let i = 0; i < n; i++) dtemp = dtemp + x[xo + i] * y[yo + i];
  return dtemp;
}

/** DSCAL(incx = 1): x := da · x. */
function dscal(n: number, da: number, x: Float64Array, xo: number): void {
  for (let i = 0; i < n; i++) x[xo + i] = da * x[xo + i];
}
