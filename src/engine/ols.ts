/**
 * The fit's public name, kept for callers: Spark's layering is ./wls.ts (weighted least squares:
 * sums, standardisation, the Cholesky solve or its fallback, scaling back) over ./lapack.ts (the
 * LAPACK/BLAS routines).
 */
export {
  FitOverflowError,
  fitWeightedLeastSquares,
  solveWeightedLeastSquares,
  type WlsSolution,
  type WlsSums,
} from './wls.js';
