/**
 * One horizon h of a forecast (docs/forecast.md#the-forecast and #track-record), on usable rows
 * 0 … o (o the origin, the last usable row):
 *
 *   walk-forward: M = o − h + 1, s0 = floor(M·r); origin t = s0 … o − h is forecast by the model
 *     fitted on rows 0 … s − h, s = s0 + K·floor((t − s0)/K)  (at h = 1: the experiment's loop);
 *   forecast: the model fitted on rows 0 … o − h (every row whose label is known at o), applied to x[o].
 *
 * One expanding fit (src/experiment/expandingFit.ts) serves both: its sums after rows 0 … m − 1 are
 * bit for bit those of a fit from scratch, so the last fit is the fit of every known label.
 */
import { predict } from '../engine/model/predict.js';
import type { Regularisation } from '../engine/model/wls.js';
import { ExpandingFit } from '../experiment/expandingFit.js';
import { forecastPrice, type Target } from '../experiment/target.js';

export interface HorizonPlan {
  horizon: number;
  trainRatio: number;
  refitEvery: number;
  target: Target;
}

/**
 * Price forecasts of origins t = trainCount … n − 1, each from the model fitted on rows 0 … s − h,
 * s = trainCount + K·floor((t − trainCount)/K): the experiment's walk-forward moved h rows back, so
 * that every fitted label (h rows after its row) is known at s. Leaves `fit` on rows 0 … s_last − h.
 */
export function walkForwardAtHorizon(
  fit: ExpandingFit,
  features: Float64Array[],
  price: Float64Array,
  n: number,
  trainCount: number,
  plan: HorizonPlan,
): Float64Array {
  const { horizon: h, refitEvery: K, target } = plan;
  const forecast = new Float64Array(Math.max(0, n - trainCount));
  for (let s = trainCount; s < n; s += K) {
    fit.extendTo(s - h + 1);
    const solution = fit.solve();
    const end = Math.min(s + K, n);
    const outputs = predict(solution.coefficients, solution.intercept, features.map((column) => column.subarray(s, end)));
    for (let t = s; t < end; t++) forecast[t - trainCount] = forecastPrice(target, outputs[t - s], price[t]);
  }
  return forecast;
}

export interface HorizonFit {
  horizon: number;
  /** First walk-forward origin s0 (rows before it only train). */
  firstOrigin: number;
  /** Price forecasts of origins s0 … o − h, and what happened (the price h rows later). */
  history: { forecast: Float64Array; actual: Float64Array; price: Float64Array };
  /** The model of every known label, and its forecast from the origin (a price). */
  model: { coefficients: number[]; intercept: number; fittedRows: number };
  forecast: number;
}

/**
 * @param features the feature columns on the usable rows; @param price their prices
 * @param ahead the price h series rows after each usable row; @param label the fitted label (./rows.ts)
 */
export function fitHorizon(
  features: Float64Array[],
  price: Float64Array,
  ahead: Float64Array,
  label: Float64Array,
  plan: HorizonPlan,
  featureNames?: readonly string[],
  regularisation?: Regularisation,
): HorizonFit {
  const { horizon: h, trainRatio, target } = plan;
  const o = price.length - 1;
  const M = o - h + 1;
  const s0 = Math.floor(M * trainRatio);
  const last = o - h; // the last origin whose outcome is known
  const fit = new ExpandingFit(features, label, featureNames, regularisation);
  const forecast = walkForwardAtHorizon(fit, features, price, M, s0, plan);
  fit.extendTo(M);
  const solution = fit.solve();
  const output = predict(solution.coefficients, solution.intercept, features.map((column) => column.subarray(o, o + 1)))[0];
  return {
    horizon: h,
    firstOrigin: s0,
    history: { forecast, actual: ahead.slice(s0, last + 1), price: price.slice(s0, last + 1) },
    model: { coefficients: Array.from(solution.coefficients), intercept: solution.intercept, fittedRows: M },
    forecast: forecastPrice(target, output, price[o]),
  };
}
