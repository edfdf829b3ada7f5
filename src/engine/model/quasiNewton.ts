/**
 * Spark ML's fallback when the normal equations are singular: `QuasiNewtonSolver` from
 * `ml/optim/NormalEquationSolver.scala` (Spark 3.5), i.e. Breeze 2.1.0's L-BFGS
 * (`breeze.optimize.LBFGS`, `FirstOrderMinimizer`, `StrongWolfeLineSearch`) over Spark's
 * `NormalEquationCostFun`, step for step, in the same floating-point order, so that the point where
 * it stops (often at maxIter, far from the exact minimiser when features are collinear) is Spark's.
 *
 * Objective (standardized units; x = (x_f, x_k), the feature weights and the intercept last):
 *
 *   f(x) = ½·bbBar − abᵀx + ½·xᵀ(aa)x,   ∇f(x) = aa·x − ab,
 *
 * with aa = [[aaBar, aBar], [aBarᵀ, 1]] (packed upper, `getAtA`) and ab = [abBar, bBar] (`getAtB`).
 * Before every evaluation the cost function overwrites the intercept with its optimum
 * x_k = bBar − aBarᵀx_f, in the caller's vector (Spark wraps Breeze's array without copying), so the
 * iterates Breeze keeps carry that intercept too.
 *
 * Breeze, as Spark configures it (`new LBFGS(maxIter = 100, m = 10, tolerance = 1e-6)`, start
 * (0, …, 0, bBar)):
 * - direction: the two-loop recursion over the last m (step, gradient change) pairs, scaled by
 *   sᵀy / yᵀy of the newest pair; a pair with sᵀy < 0 is a failure (`NaNHistory`);
 * - step: strong Wolfe line search (c1 = 1e-4, c2 = 0.9, at most 10 bracketing and 10 zoom steps,
 *   safeguarded cubic interpolation), first trial 1/‖d‖ at iteration 0, else 1; a step with
 *   α·‖∇f‖ < 1e-10 is a failure (`StepSizeUnderflow`);
 * - a failure resets the history and repeats the iteration (the state is emitted again); a second
 *   failure in a row ends the search ("line search failed");
 * - stop (checked on every emitted state, the start included), whichever first:
 *   iter ≥ maxIter; |f − max(last 20 values)| ≤ tol·|f(x₀)| (the window starts as [+∞], so this
 *   cannot fire before iteration 20); ‖∇f‖ ≤ max(tol·|f|, 1e-8); the search failed.
 *
 * Vector arithmetic as the JVM does it: Spark's `BLAS.dot`/`dspmv` run netlib's Java11BLAS/Java8BLAS
 * kernels (ddot with 4 fused-multiply-add partial sums; dspmv in blocks of 4 columns); Breeze's own
 * dot products unroll by 8 (or, below length 8, pair up two partial sums); axpy and scaling are plain
 * per-element multiply then add. Breeze's 2-norm is taken as √(Σ v²) (Breeze computes it through
 * `pow`; that can differ in the last bit, and only feeds the first trial step and the checks).
 */

import { fma } from './fma.js';

/** Spark's LinearRegression defaults, passed through WeightedLeastSquares to QuasiNewtonSolver. */
export const QUASI_NEWTON_MAX_ITER = 100;
export const QUASI_NEWTON_TOLERANCE = 1e-6;
/** Spark hard-codes the L-BFGS memory: `new BreezeLBFGS[BDV[Double]](maxIter, 10, tol)`. */
export const LBFGS_MEMORY = 10;
/** `FirstOrderMinimizer.defaultConvergenceCheck`'s fvalMemory. */
export const FUNCTION_VALUE_WINDOW = 20;
/** `LBFGS.determineStepSize`: `new StrongWolfeLineSearch(maxZoomIter = 10, maxLineSearchIter = 10)`. */
const MAX_ZOOM_ITER = 10;
const MAX_LINE_SEARCH_ITER = 10;
const WOLFE_C1 = 1e-4;
const WOLFE_C2 = 0.9;

/** The standardized normal equations as WeightedLeastSquares hands them to QuasiNewtonSolver. */
export interface NormalEquationProblem {
  /** [[aaBar, aBar], [aBarᵀ, 1]], packed upper, column-major, size (k+1)(k+2)/2. */
  aa: Float64Array;
  /** [abBar, bBar], length k + 1. */
  ab: Float64Array;
  /** Standardized feature means, length k. */
  aBar: Float64Array;
  bBar: number;
  bbBar: number;
}

export type QuasiNewtonStop = 'max iterations reached' | 'function values converged' | 'gradient converged' | 'line search failed';

export interface QuasiNewtonResult {
  /** The last state's point, length k + 1, intercept last (standardized). */
  x: Float64Array;
  /** f at every emitted state, the start included (Spark's `objectiveHistory`). */
  objectiveHistory: number[];
  /** The last state's iteration number. */
  iterations: number;
  stop: QuasiNewtonStop;
}

/** Thrown where Breeze throws a `FirstOrderException`: the minimiser resets or gives up. */
export class FirstOrderFailure extends Error {}

export interface Evaluation {
  value: number;
  grad: Float64Array;
}

interface State {
  x: Float64Array;
  value: number;
  grad: Float64Array;
  iter: number;
  /** Newest pair first, at most LBFGS_MEMORY. */
  steps: Float64Array[];
  gradDeltas: Float64Array[];
  /** FunctionValuesConverged's window. */
  values: number[];
  searchFailed: boolean;
}

/**
 * Run Spark's QuasiNewtonSolver (no L1 term) on the singular normal equations.
 * @example solveNormalEquationQuasiNewton({ aa, ab, aBar, bBar, bbBar }).x // standardized, intercept last
 */
export function solveNormalEquationQuasiNewton(
  problem: NormalEquationProblem,
  maxIter = QUASI_NEWTON_MAX_ITER,
  tolerance = QUASI_NEWTON_TOLERANCE,
): QuasiNewtonResult {
  const size = problem.ab.length;
  const f = cachedCost(problem);

  const x0 = new Float64Array(size);
  x0[size - 1] = problem.bBar;
  const first = f(x0);
  let state: State = {
    x: x0,
    value: first.value,
    grad: first.grad,
    iter: 0,
    steps: [],
    gradDeltas: [],
    values: [Number.POSITIVE_INFINITY],
    searchFailed: false,
  };
  const initialValue = first.value;
  const objectiveHistory = [state.value];
  let failedOnce = false;
  for (;;) {
    const stop = converged(state, initialValue, maxIter, tolerance);
    if (stop !== null) return { x: state.x, objectiveHistory, iterations: state.iter, stop };
    try {
      const dir = inverseHessianTimes(state.steps, state.gradDeltas, state.grad);
      const stepSize = determineStepSize(state, f, dir);
      const x = takeStep(state.x, dir, stepSize);
      const { value, grad } = f(x);
      const steps = [subtract(x, state.x), ...state.steps].slice(0, LBFGS_MEMORY);
      const gradDeltas = [subtract(grad, state.grad), ...state.gradDeltas].slice(0, LBFGS_MEMORY);
      const values = [...state.values, value].slice(-FUNCTION_VALUE_WINDOW);
      failedOnce = false;
      state = { x, value, grad, iter: state.iter + 1, steps, gradDeltas, values, searchFailed: false };
    } catch (error) {
      if (!(error instanceof FirstOrderFailure)) throw error;
      // Breeze emits the same state again: first with an empty history, then marked as failed.
      state = failedOnce ? { ...state, searchFailed: true } : { ...state, steps: [], gradDeltas: [] };
      failedOnce = true;
    }
    objectiveHistory.push(state.value);
  }
}

/** `defaultConvergenceCheck`: maxIterations || functionValuesConverged || gradientConverged || searchFailed. */
function converged(state: State, initialValue: number, maxIter: number, tolerance: number): QuasiNewtonStop | null {
  if (state.iter >= maxIter && maxIter >= 0) return 'max iterations reached';
  if (state.values.length >= 2) {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of state.values) max = Math.max(max, v);
    if (Math.abs(state.value - max) <= tolerance * Math.abs(initialValue)) return 'function values converged';
  }
  if (norm(state.grad) <= Math.max(tolerance * Math.abs(state.value), 1e-8)) return 'gradient converged';
  if (state.searchFailed) return 'line search failed';
  return null;
}

/** `LBFGS.determineStepSize`. */
function determineStepSize(state: State, f: (x: Float64Array) => Evaluation, dir: Float64Array): number {
  const phi = (t: number): Bracket => {
    const { value, grad } = f(takeStep(state.x, dir, t));
    return { t, dd: breezeDot(grad, dir), fval: value };
  };
  const alpha = strongWolfe(phi, state.iter === 0 ? 1.0 / norm(dir) : 1.0);
  if (alpha * norm(state.grad) < 1e-10) throw new FirstOrderFailure('step size underflow');
  return alpha;
}

interface Bracket {
  t: number;
  /** Directional derivative at t. */
  dd: number;
  fval: number;
}

/** `CubicLineSearch.interp`: safeguarded cubic minimiser inside [l.t, r.t] (Nocedal & Wright p. 57). */
function interp(l: Bracket, r: Bracket): number {
  const d1 = l.dd + r.dd - (3 * (l.fval - r.fval)) / (l.t - r.t);
  const d2 = Math.sqrt(d1 * d1 - l.dd * r.dd);
  const multiplier = r.t - l.t;
  const t = r.t - (multiplier * (r.dd + d2 - d1)) / (r.dd - l.dd + 2 * d2);
  const lbound = l.t + 0.1 * (r.t - l.t);
  const ubound = l.t + 0.9 * (r.t - l.t);
  if (t < lbound) return lbound;
  if (t > ubound) return ubound;
  return t;
}

/** `StrongWolfeLineSearch.minimizeWithBound` with bound +∞ (what `minimize` passes). */
function strongWolfe(phi: (t: number) => Bracket, init: number): number {
  let t = init;
  let low = phi(0.0);
  const fval = low.fval;
  const dd = low.dd;
  if (dd > 0) throw new FirstOrderFailure(`line search invoked with non-descent direction: ${dd}`);

  const zoom = (linit: Bracket, rinit: Bracket): number => {
    let lo = linit;
    let hi = rinit;
    for (let i = 0; i < MAX_ZOOM_ITER; i++) {
      const tz = lo.t > hi.t ? interp(hi, lo) : interp(lo, hi);
      const c = phi(tz);
      if (Number.isNaN(tz)) throw new FirstOrderFailure('line search zoom failed');
      if (c.fval > fval + WOLFE_C1 * c.t * dd || c.fval >= lo.fval) {
        hi = c;
      } else {
        if (Math.abs(c.dd) <= WOLFE_C2 * Math.abs(dd)) return c.t;
        if (c.dd * (hi.t - lo.t) >= 0) hi = lo;
        lo = c;
      }
    }
    throw new FirstOrderFailure('line search zoom failed');
  };

  for (let i = 0; i < MAX_LINE_SEARCH_ITER; i++) {
    const c = phi(t);
    if (!Number.isFinite(c.fval)) {
      t /= 2.0;
      continue;
    }
    if (c.fval > fval + WOLFE_C1 * t * dd || (c.fval >= low.fval && i > 0)) return zoom(low, c);
    if (Math.abs(c.dd) <= WOLFE_C2 * Math.abs(dd)) return c.t;
    if (c.dd >= 0) return zoom(c, low);
    low = c;
    // bound = +∞: t never reaches it.
    t *= 1.5;
  }
  throw new FirstOrderFailure('line search failed');
}

/** `ApproximateInverseHessian * grad`: the L-BFGS two-loop recursion, negated. */
export function inverseHessianTimes(steps: Float64Array[], gradDeltas: Float64Array[], grad: Float64Array): Float64Array {
  const m = steps.length;
  let diag = 1.0;
  if (m > 0) {
    const sy = breezeDot(steps[0], gradDeltas[0]);
    const yy = breezeDot(gradDeltas[0], gradDeltas[0]);
    if (sy < 0 || Number.isNaN(sy)) throw new FirstOrderFailure('NaN history');
    diag = sy / yy;
  }
  const dir = Float64Array.from(grad);
  const as = new Float64Array(m);
  const rho = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    rho[i] = breezeDot(steps[i], gradDeltas[i]);
    as[i] = breezeDot(steps[i], dir) / rho[i];
    if (Number.isNaN(as[i])) throw new FirstOrderFailure('NaN history');
    axpy(-as[i], gradDeltas[i], dir);
  }
  for (let j = 0; j < dir.length; j++) dir[j] *= diag;
  for (let i = m - 1; i >= 0; i--) {
    const beta = breezeDot(gradDeltas[i], dir) / rho[i];
    axpy(as[i] - beta, steps[i], dir);
  }
  for (let j = 0; j < dir.length; j++) dir[j] *= -1.0;
  return dir;
}

/** `LBFGS.takeStep` and `LineSearch.functionFromSearchDirection`: newX = dir·α, then newX += x. */
function takeStep(x: Float64Array, dir: Float64Array, stepSize: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = dir[i] * stepSize;
    out[i] += x[i] * 1.0;
  }
  return out;
}

/** Breeze `a - b` (scaleAdd with −1: a + b·(−1), exact as a − b). */
export function subtract(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i] * -1.0;
  return out;
}

/** Breeze `axpy(a, x, y)`: y(i) += x(i) · a. */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += x[i] * a;
}

/** Breeze 2-norm (see the header). */
export function norm(v: Float64Array): number {
  let sum = 0.0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  return Math.sqrt(sum);
}

/**
 * Breeze `DenseVector.dot` (`canDotD`): below length 8 `smallDotProduct_Double` (two partial sums,
 * from the last element down), otherwise `dotProduct_Double` (the `length % 8` head into sum0, then
 * 8 partial sums).
 */
export function breezeDot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n < 8) {
    let sumA = 0.0;
    let sumB = 0.0;
    // The Java switch falls through from case n down to case 1; cases 7 and 6 assign, the rest add.
    for (let i = n - 1; i >= 0; i--) {
      const p = a[i] * b[i];
      if (i % 2 === 0) sumA = i === 6 ? p : sumA + p;
      else sumB = i === 5 ? p : sumB + p;
    }
    return sumA + sumB;
  }
  const extra = n % 8;
  const sums = new Float64Array(8);
  let i = 0;
  for (; i < extra; i++) sums[0] += a[i] * b[i];
  for (; i < n; i += 8) {
    for (let u = 0; u < 8; u++) sums[u] += a[i + u] * b[i + u];
  }
  return sums[0] + sums[1] + sums[2] + sums[3] + sums[4] + sums[5] + sums[6] + sums[7];
}

/** netlib Java11BLAS `ddotK` (unit strides): 4 fused partial sums, then the tail fused into their sum. */
export function javaDdot(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const bound = n - (n % 4);
  let sum0 = 0.0;
  let sum1 = 0.0;
  let sum2 = 0.0;
  let sum3 = 0.0;
  let i = 0;
  for (; i < bound; i += 4) {
    sum0 = fma(x[i], y[i], sum0);
    sum1 = fma(x[i + 1], y[i + 1], sum1);
    sum2 = fma(x[i + 2], y[i + 2], sum2);
    sum3 = fma(x[i + 3], y[i + 3], sum3);
  }
  let sum = 0.0;
  sum += sum0 + sum1 + sum2 + sum3;
  for (; i < n; i++) sum = fma(x[i], y[i], sum);
  return sum;
}

/**
 * netlib Java8BLAS `dspmvU` (unit strides, y = alpha·A·x + beta·y, A packed upper): columns in
 * blocks of 4, each block's off-diagonal rows first, then its 4×4 diagonal block, then the rest one
 * column at a time. Java evaluates `a + b + c + d` left to right, no contraction.
 */
export function javaDspmvUpper(n: number, alpha: number, a: Float64Array, x: Float64Array, beta: number, y: Float64Array): void {
  const at = (row: number, col: number) => a[row + (col * (col + 1)) / 2];
  let col = 0;
  const bound = n - (n % 4);
  for (; col < bound; col += 4) {
    const ax0 = alpha * x[col];
    const ax1 = alpha * x[col + 1];
    const ax2 = alpha * x[col + 2];
    const ax3 = alpha * x[col + 3];
    let s0 = 0.0;
    let s1 = 0.0;
    let s2 = 0.0;
    let s3 = 0.0;
    let row = 0;
    for (; row < col; row++) {
      const a0 = at(row, col);
      const a1 = at(row, col + 1);
      const a2 = at(row, col + 2);
      const a3 = at(row, col + 3);
      y[row] += ax0 * a0 + ax1 * a1 + ax2 * a2 + ax3 * a3;
      const xr = x[row];
      s0 += xr * a0;
      s1 += xr * a1;
      s2 += xr * a2;
      s3 += xr * a3;
    }
    const a00 = at(row, col);
    const a01 = at(row, col + 1);
    const a02 = at(row, col + 2);
    const a03 = at(row, col + 3);
    const a11 = at(row + 1, col + 1);
    const a12 = at(row + 1, col + 2);
    const a13 = at(row + 1, col + 3);
    const a22 = at(row + 2, col + 2);
    const a23 = at(row + 2, col + 3);
    const a33 = at(row + 3, col + 3);
    const x0 = x[row];
    const x1 = x[row + 1];
    const x2 = x[row + 2];
    const x3 = x[row + 3];
    s0 += x0 * a00 + x1 * a01 + x2 * a02 + x3 * a03;
    s1 += x0 * a01 + x1 * a11 + x2 * a12 + x3 * a13;
    s2 += x0 * a02 + x1 * a12 + x2 * a22 + x3 * a23;
    s3 += x0 * a03 + x1 * a13 + x2 * a23 + x3 * a33;
    if (beta !== 0.0) {
      y[col] = alpha * s0 + beta * y[col];
      y[col + 1] = alpha * s1 + beta * y[col + 1];
      y[col + 2] = alpha * s2 + beta * y[col + 2];
      y[col + 3] = alpha * s3 + beta * y[col + 3];
    } else {
      y[col] = alpha * s0;
      y[col + 1] = alpha * s1;
      y[col + 2] = alpha * s2;
      y[col + 3] = alpha * s3;
    }
  }
  for (; col < n; col++) {
    const ax = alpha * x[col];
    let s = 0.0;
    let row = 0;
    for (; row < col; row++) {
      y[row] += ax * at(row, col);
      s += x[row] * at(row, col);
    }
    s += x[row] * at(row, col);
    y[col] = beta !== 0.0 ? alpha * s + beta * y[col] : alpha * s;
  }
}

/**
 * `NormalEquationCostFun.calculate` behind Breeze's `CachedDiffFunction`: a point equal (element
 * by element, as Breeze compares) to the last one returns the cached result untouched; otherwise
 * the intercept of `x` is overwritten in place and f, ∇f computed.
 */
export function cachedCost(problem: NormalEquationProblem): (x: Float64Array) => Evaluation {
  const { aa, ab, aBar, bBar, bbBar } = problem;
  const k = aBar.length;
  const size = k + 1;
  let lastX: Float64Array | null = null;
  let last: Evaluation | null = null;
  return (x) => {
    if (lastX !== null && last !== null && sameValues(x, lastX)) return last;
    let dotProd = 0.0;
    for (let j = 0; j < k; j++) dotProd += x[j] * aBar[j];
    x[k] = bBar - dotProd;
    const aax = new Float64Array(size);
    javaDspmvUpper(size, 1.0, aa, x, 1.0, aax);
    const loss = 0.5 * bbBar - javaDdot(ab, x) + 0.5 * javaDdot(x, aax);
    // BLAS.axpy(-1.0, ab, aax): Math.fma(-1, ab, aax) rounds as aax − ab.
    for (let i = 0; i < size; i++) aax[i] = aax[i] - ab[i];
    lastX = Float64Array.from(x);
    last = { value: loss, grad: aax };
    return last;
  };
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
