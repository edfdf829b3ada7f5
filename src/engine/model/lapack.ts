/**
 * LAPACK/BLAS routines on a packed upper triangle, as Spark runs them when no native LAPACK is
 * installed (netlib's F2J translation of reference LAPACK/BLAS): `dpptrf`, `dpptrs`, `dpptri`,
 * `dtptri`, `dtpsv`, `dtpmv`, `dspr`, `ddot`, `dscal`, column by column in the same operation order,
 * so that a solve agrees with Spark's bit for bit. Spark's `mllib/linalg/CholeskyDecomposition.scala`
 * calls `dppsv` (= `dpptrf` + `dpptrs`) and `dpptri`; ./wls.ts builds the system.
 *
 * Storage: `ap` holds the upper triangle column-major (column j holds rows 1..j), so element (i, j),
 * i <= j, 0-based, is at `packedUpper(i, j)`. Indices below follow the Fortran (1-based) text with
 * `- 1` at each array access.
 */

/** Index of element (i, j), i <= j, in a packed upper triangle (column-major). */
export function packedUpper(i: number, j: number): number {
  return (j * (j + 1)) / 2 + i;
}

/** DPPTRF('U'): A = UᵀU in place. Returns INFO: 0, or the column j whose pivot is not positive. */
export function dpptrf(n: number, ap: Float64Array): number {
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
export function dpptrs(n: number, ap: Float64Array, b: Float64Array): void {
  dtpsvUpperTrans(n, ap, b, 0);
  dtpsvUpperNoTrans(n, ap, b, 0);
}

/** DPPTRI('U'): from the factor U, the upper triangle of (UᵀU)⁻¹ = U⁻¹U⁻ᵀ in place. */
export function dpptri(n: number, ap: Float64Array): number {
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
export function dtptriUpper(n: number, ap: Float64Array): number {
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
export function dtpsvUpperTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
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
export function dtpsvUpperNoTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
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
export function dtpmvUpperNoTrans(n: number, ap: Float64Array, x: Float64Array, xo: number): void {
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
export function dsprUpper(n: number, alpha: number, x: Float64Array, xo: number, ap: Float64Array): void {
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
export function ddot(n: number, x: Float64Array, xo: number, y: Float64Array, yo: number): number {
  let dtemp = 0.0;
  for (let i = 0; i < n; i++) dtemp = dtemp + x[xo + i] * y[yo + i];
  return dtemp;
}

/** DSCAL(incx = 1): x := da · x. */
export function dscal(n: number, da: number, x: Float64Array, xo: number): void {
  for (let i = 0; i < n; i++) x[xo + i] = da * x[xo + i];
}
