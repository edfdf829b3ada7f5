/**
 * The elastic-net path of Spark ML's normal-equation solver (docs/regularisation.md#the-quasi-newton-path):
 * `QuasiNewtonSolver` with an L1 term, i.e. Breeze 2.1.0's OWL-QN (`breeze.optimize.OWLQN`, an
 * L-BFGS subclass, with `BacktrackingLineSearch`) over the same `NormalEquationCostFun` as the
 * unregularised fallback (./quasiNewton.ts), step for step and in the same floating-point order.
 *
 * Objective (standardized units, x = (x_f, x_k), intercept last):
 *
 *   F(x) = f(x) + Σ_j l1_j·|x_j|,   f(x) = ½·bbBar − abᵀx + ½·xᵀ(aa)x,
 *
 * where aa already carries the L2 part on its feature diagonal and l1_j is the effective L1 weight
 * (0 for the intercept). Breeze keeps f and ∇f as the state's `value`/`grad`, and F with its
 * pseudo-gradient as `adjustedValue`/`adjustedGradient`:
 * - pseudo-gradient: g_j + sign(x_j)·l1_j where x_j ≠ 0; at x_j = 0, g_j − l1_j if that is > 0,
 *   g_j + l1_j if that is < 0, else 0;
 * - direction: the L-BFGS two-loop recursion applied to the pseudo-gradient (history pairs built from
 *   the raw gradient), then every component whose sign agrees with the pseudo-gradient's set to 0;
 * - step: x + α·d projected onto the orthant of x (sign of x_j, or of −pseudo-gradient_j where
 *   x_j = 0): a component that changes sign becomes 0. This is what makes Spark's zeros exact;
 * - line search: backtracking on F along d (shrink 0.1 at iteration 0, else 0.5; grow 2.1; Armijo
 *   1e-4 and strong Wolfe 0.9 on the pseudo-gradient's slope; at most 20 trials; α in [1e-10, 1e10]),
 *   first trial 0.5/‖∇f‖ at iteration 0, else 1. Its first trial is judged with the raw value f at
 *   the current point, not F at the trial point (Breeze passes `state.value` as the initial value);
 * - stop, on every emitted state: iter ≥ maxIter; |F − max(last 20 F)| ≤ tol·|F(x₀)|; ‖pseudo-gradient‖
 *   ≤ max(tol·|F|, 1e-8); or a second failure in a row. A failure (NaN history, step out of range)
 *   first resets the history and repeats the iteration.
 * Spark's `objectiveHistory` is F at every emitted state.
 */

import {
  cachedCost,
  FirstOrderFailure,
  FUNCTION_VALUE_WINDOW,
  inverseHessianTimes,
  LBFGS_MEMORY,
  norm,
  QUASI_NEWTON_MAX_ITER,
  QUASI_NEWTON_TOLERANCE,
  subtract,
  breezeDot,
  type Evaluation,
  type NormalEquationProblem,
  type QuasiNewtonResult,
  type QuasiNewtonStop,
} from './quasiNewton.js';

/** `BacktrackingLineSearch`'s defaults, as OWL-QN constructs it. */
const BACKTRACK_MAX_ITER = 20;
const BACKTRACK_GROW = 2.1;
const BACKTRACK_ARMIJO = 1e-4;
const BACKTRACK_WOLFE = 0.9;
const MIN_STEP = 1e-10;
const MAX_STEP = 1e10;

interface OwlqnState {
  x: Float64Array;
  value: number;
  grad: Float64Array;
  adjustedValue: number;
  adjustedGrad: Float64Array;
  iter: number;
  /** Newest pair first, at most LBFGS_MEMORY. */
  steps: Float64Array[];
  gradDeltas: Float64Array[];
  /** FunctionValuesConverged's window (adjusted values). */
  values: number[];
  searchFailed: boolean;
}

/**
 * Run Spark's QuasiNewtonSolver with an L1 term (OWL-QN) on the standardized normal equations.
 * @param l1 the L1 weight of each coordinate, length k + 1 (the intercept's is 0)
 * @example solveNormalEquationOwlqn(problem, Float64Array.of(0.1, 0.1, 0)).x // standardized, intercept last
 */
export function solveNormalEquationOwlqn(
  problem: NormalEquationProblem,
  l1: Float64Array,
  maxIter = QUASI_NEWTON_MAX_ITER,
  tolerance = QUASI_NEWTON_TOLERANCE,
): QuasiNewtonResult {
  const size = problem.ab.length;
  if (l1.length !== size) throw new RangeError(`${l1.length} L1 weights for ${size} coordinates`);
  const f = cachedCost(problem);

  const x0 = new Float64Array(size);
  x0[size - 1] = problem.bBar;
  const first = f(x0);
  const firstAdjusted = adjust(l1, x0, first.grad, first.value);
  let state: OwlqnState = {
    x: x0,
    value: first.value,
    grad: first.grad,
    adjustedValue: firstAdjusted.value,
    adjustedGrad: firstAdjusted.grad,
    iter: 0,
    steps: [],
    gradDeltas: [],
    values: [Number.POSITIVE_INFINITY],
    searchFailed: false,
  };
  const initialValue = state.adjustedValue;
  const objectiveHistory = [state.adjustedValue];
  let failedOnce = false;
  for (;;) {
    const stop = converged(state, initialValue, maxIter, tolerance);
    if (stop !== null) return { x: state.x, objectiveHistory, iterations: state.iter, stop };
    try {
      const dir = descentDirection(state);
      const stepSize = backtrackingStep(state, f, l1, dir);
      const x = orthantStep(state, dir, stepSize);
      const { value, grad } = f(x); // overwrites x's intercept, as Spark's cost function does
      const adjusted = adjust(l1, x, grad, value);
      const steps = [subtract(x, state.x), ...state.steps].slice(0, LBFGS_MEMORY);
      const gradDeltas = [subtract(grad, state.grad), ...state.gradDeltas].slice(0, LBFGS_MEMORY);
      const values = [...state.values, adjusted.value].slice(-FUNCTION_VALUE_WINDOW);
      failedOnce = false;
      state = {
        x,
        value,
        grad,
        adjustedValue: adjusted.value,
        adjustedGrad: adjusted.grad,
        iter: state.iter + 1,
        steps,
        gradDeltas,
        values,
        searchFailed: false,
      };
    } catch (error) {
      if (!(error instanceof FirstOrderFailure)) throw error;
      state = failedOnce ? { ...state, searchFailed: true } : { ...state, steps: [], gradDeltas: [] };
      failedOnce = true;
    }
    objectiveHistory.push(state.adjustedValue);
  }
}

/** `defaultConvergenceCheck` on the adjusted value and gradient. */
function converged(state: OwlqnState, initialValue: number, maxIter: number, tolerance: number): QuasiNewtonStop | null {
  if (state.iter >= maxIter && maxIter >= 0) return 'max iterations reached';
  if (state.values.length >= 2) {
    let max = Number.NEGATIVE_INFINITY;
    for (const v of state.values) max = Math.max(max, v);
    if (Math.abs(state.adjustedValue - max) <= tolerance * Math.abs(initialValue)) return 'function values converged';
  }
  if (norm(state.adjustedGrad) <= Math.max(tolerance * Math.abs(state.adjustedValue), 1e-8)) return 'gradient converged';
  if (state.searchFailed) return 'line search failed';
  return null;
}

/** `OWLQN.adjust`: F and the pseudo-gradient from f and ∇f, coordinates in order. */
function adjust(l1: Float64Array, x: Float64Array, grad: Float64Array, value: number): Evaluation {
  let adjusted = value;
  const out = new Float64Array(grad.length);
  for (let i = 0; i < grad.length; i++) {
    const weight = l1[i];
    const g = grad[i];
    const xv = x[i];
    if (weight === 0.0) {
      out[i] = g;
      continue;
    }
    adjusted += Math.abs(weight * xv);
    if (xv === 0.0) {
      const plus = g + weight;
      const minus = g - weight;
      out[i] = minus > 0 ? minus : plus < 0 ? plus : 0.0;
    } else {
      out[i] = g + Math.sign(xv) * weight;
    }
  }
  return { value: adjusted, grad: out };
}

/** `OWLQN.chooseDescentDirection`: L-BFGS on the pseudo-gradient, then kept only where it descends. */
function descentDirection(state: OwlqnState): Float64Array {
  const dir = inverseHessianTimes(state.steps, state.gradDeltas, state.adjustedGrad);
  for (let i = 0; i < dir.length; i++) if (!(dir[i] * state.adjustedGrad[i] < 0)) dir[i] = 0.0;
  return dir;
}

/** `OWLQN.takeStep`: x + d·α, then each component off the orthant of x set to 0. */
function orthantStep(state: OwlqnState, dir: Float64Array, stepSize: number): Float64Array {
  const out = new Float64Array(state.x.length);
  for (let i = 0; i < out.length; i++) {
    const v = state.x[i] + dir[i] * stepSize;
    const xi = state.x[i];
    const orthant = xi !== 0 ? Math.sign(xi) : Math.sign(-state.adjustedGrad[i]);
    out[i] = v * (Math.sign(v) === orthant ? 1.0 : 0.0);
  }
  return out;
}

/** `OWLQN.determineStepSize` with Breeze's `BacktrackingLineSearch`. */
function backtrackingStep(
  state: OwlqnState,
  f: (x: Float64Array) => Evaluation,
  l1: Float64Array,
  dir: Float64Array,
): number {
  const phi = (alpha: number): [number, number] => {
    const x = orthantStep(state, dir, alpha);
    const { value, grad } = f(x);
    const adjusted = adjust(l1, x, grad, value);
    return [adjusted.value, breezeDot(adjusted.grad, dir)];
  };
  const shrink = state.iter < 1 ? 0.1 : 0.5;
  const init = state.iter < 1 ? 0.5 / norm(state.grad) : 1.0;
  const [f0, df0] = phi(0.0);
  let alpha = init;
  let fval = state.value; // Breeze's initfval: the current raw value, not F at the first trial
  let fderiv = phi(init)[1];
  for (let iter = 0; ; ) {
    let multiplier: number;
    if (fval > f0 + alpha * df0 * BACKTRACK_ARMIJO) multiplier = shrink;
    else if (fderiv < BACKTRACK_WOLFE * df0) multiplier = BACKTRACK_GROW;
    else if (fderiv > -BACKTRACK_WOLFE * df0) multiplier = shrink;
    else multiplier = 1.0;
    if (multiplier === 1.0) return alpha;
    const next = alpha * multiplier;
    if (iter >= BACKTRACK_MAX_ITER) throw new FirstOrderFailure('line search failed');
    if (next < MIN_STEP) throw new FirstOrderFailure('step size underflow');
    if (next > MAX_STEP) throw new FirstOrderFailure('step size overflow');
    const [fNext, dNext] = phi(next);
    iter += 1;
    // Breeze's iterator stops before the 20th trial's state: the previous trial is the answer.
    if (iter >= BACKTRACK_MAX_ITER) return alpha;
    alpha = next;
    fval = fNext;
    fderiv = dNext;
  }
}
