/**
 * ta 0.11.0 `ta/momentum.py`: the functions of close or volume, then those that also need high and low.
 * Each returns one value per row, NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger, sameLengths } from './args.js';
import { comFromAlpha, diff, elementwiseMinMax, ewmMean, rollingMax, rollingMean, rollingMin, rollingSum, shift, trueRange } from './pandas.js';
import { ema, zipWith } from './utils.js';

/**
 * ta `rsi(close, window=14)` (`RSIIndicator._run`, docs/features.md#rsi): Wilder's smoothing as
 * `ewm(alpha=1/window, min_periods=window, adjust=False)` of the up and down moves;
 * 100 where the down average is 0, else 100 - 100 / (1 + up / down).
 * @example rsi(Float64Array.of(1, 2, 3), 2) // → [NaN, 100, 100]
 */
export function rsi(close: Float64Array, window = 14): Float64Array {
  positiveInteger('RSI window', window);
  // Two arrays for the whole computation (this runs on every pipeline call): the moves are split in
  // place, the ewms run in place, and the result overwrites the up average.
  const up = diff(close);
  const down = new Float64Array(up.length);
  for (let i = 0; i < up.length; i++) {
    // diff.where(diff > 0, 0.0): row 0's NaN fails the test and becomes 0.0
    const d = up[i];
    up[i] = d > 0 ? d : 0;
    down[i] = d < 0 ? -d : 0;
  }
  const smoothing = { com: comFromAlpha(1 / window), adjust: false, minPeriods: window };
  const emaUp = ewmMean(up, smoothing, up);
  const emaDown = ewmMean(down, smoothing, down);
  for (let i = 0; i < emaUp.length; i++) emaUp[i] = emaDown[i] === 0 ? 100 : 100 - 100 / (1 + emaUp[i] / emaDown[i]);
  return emaUp;
}

/** ta `tsi(close, window_slow=25, window_fast=13)`: double-smoothed momentum over double-smoothed |momentum|, × 100. */
export function tsi(close: Float64Array, windowSlow = 25, windowFast = 13): Float64Array {
  positiveInteger('window_slow', windowSlow);
  positiveInteger('window_fast', windowFast);
  const change = zipWith(close, shift(close, 1), (c, p) => c - p);
  const smoothed = ema(ema(change, windowSlow), windowFast);
  const smoothedAbs = ema(ema(change.map(Math.abs), windowSlow), windowFast);
  return zipWith(smoothed, smoothedAbs, (s, a) => (s / a) * 100);
}

/**
 * ta `kama(close, window=10, pow1=2, pow2=30)` (`KAMAIndicator._run`). ta's `np.roll` wraps around:
 * the first rows' changes are taken against the last rows, and that is reproduced here.
 */
export function kama(close: Float64Array, window = 10, pow1 = 2, pow2 = 30): Float64Array {
  positiveInteger('window', window);
  positiveInteger('pow1', pow1);
  positiveInteger('pow2', pow2);
  const n = close.length;
  const rolled = (by: number) => close.map((_, i) => close[(((i - by) % n) + n) % n]);
  const volatility = zipWith(close, rolled(1), (c, p) => Math.abs(c - p));
  const erNum = zipWith(close, rolled(window), (c, p) => Math.abs(c - p));
  const erDen = rollingSum(volatility, { window, minPeriods: window });
  const fast = 2.0 / (pow1 + 1) - 2.0 / (pow2 + 1.0);
  const slow = 2 / (pow2 + 1.0);
  const out = new Float64Array(n);
  let first = true;
  for (let i = 0; i < n; i++) {
    // np.divide(er_num, er_den, out=zeros, where=er_den != 0): NaN != 0 holds, so NaN divides through
    const efficiency = erDen[i] !== 0 ? erNum[i] / erDen[i] : 0;
    const base = efficiency * fast + slow;
    const smoothing = base * base; // ** 2.0 is numpy's square
    if (smoothing !== smoothing) out[i] = NaN;
    else if (first) {
      out[i] = close[i];
      first = false;
    } else out[i] = out[i - 1] + smoothing * (close[i] - out[i - 1]);
  }
  return out;
}

/** ta `roc(close, window=12)`: (close - close n rows back) / close n rows back × 100. */
export function roc(close: Float64Array, window = 12): Float64Array {
  positiveInteger('window', window);
  const back = shift(close, window);
  return zipWith(close, back, (c, b) => ((c - b) / b) * 100);
}

interface StochRsiParts {
  stochrsi: Float64Array;
  k: Float64Array;
  d: Float64Array;
}

/** ta `StochRSIIndicator`: RSI's position in its own rolling range, then two rolling means. */
function stochRsiParts(close: Float64Array, window: number, smooth1: number, smooth2: number): StochRsiParts {
  positiveInteger('smooth1', smooth1);
  positiveInteger('smooth2', smooth2);
  const strength = rsi(close, window);
  const lowest = rollingMin(strength, { window });
  const highest = rollingMax(strength, { window });
  const stochrsi = strength.map((r, i) => (r - lowest[i]) / (highest[i] - lowest[i]));
  const k = rollingMean(stochrsi, { window: smooth1 });
  const d = rollingMean(k, { window: smooth2 });
  return { stochrsi, k, d };
}

/** ta `stochrsi(close, window=14, smooth1=3, smooth2=3)`: (rsi - min) / (max - min) over `window`. */
export function stochrsi(close: Float64Array, window = 14, smooth1 = 3, smooth2 = 3): Float64Array {
  return stochRsiParts(close, window, smooth1, smooth2).stochrsi;
}

/** ta `stochrsi_k(close, window=14, smooth1=3, smooth2=3)`: the `smooth1`-row mean of stochrsi. */
export function stochrsiK(close: Float64Array, window = 14, smooth1 = 3, smooth2 = 3): Float64Array {
  return stochRsiParts(close, window, smooth1, smooth2).k;
}

/** ta `stochrsi_d(close, window=14, smooth1=3, smooth2=3)`: the `smooth2`-row mean of stochrsi_k. */
export function stochrsiD(close: Float64Array, window = 14, smooth1 = 3, smooth2 = 3): Float64Array {
  return stochRsiParts(close, window, smooth1, smooth2).d;
}

interface OscillatorParts {
  line: Float64Array;
  signal: Float64Array;
  hist: Float64Array;
}

/**
 * ta `PercentagePriceOscillator` / `PercentageVolumeOscillator` (one formula, two inputs):
 * (ema_fast - ema_slow) / ema_slow × 100, its ema over window_sign, and the difference.
 */
function percentageOscillator(series: Float64Array, windowSlow: number, windowFast: number, windowSign: number): OscillatorParts {
  positiveInteger('window_slow', windowSlow);
  positiveInteger('window_fast', windowFast);
  positiveInteger('window_sign', windowSign);
  const fast = ema(series, windowFast);
  const slow = ema(series, windowSlow);
  const line = zipWith(fast, slow, (f, s) => ((f - s) / s) * 100);
  const signal = ema(line, windowSign);
  const hist = zipWith(line, signal, (l, s) => l - s);
  return { line, signal, hist };
}

/** ta `ppo(close, window_slow=26, window_fast=12, window_sign=9)`. */
export function ppo(close: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(close, windowSlow, windowFast, windowSign).line;
}

/** ta `ppo_signal(close, window_slow=26, window_fast=12, window_sign=9)`. */
export function ppoSignal(close: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(close, windowSlow, windowFast, windowSign).signal;
}

/** ta `ppo_hist(close, window_slow=26, window_fast=12, window_sign=9)`. */
export function ppoHist(close: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(close, windowSlow, windowFast, windowSign).hist;
}

/** ta `pvo(volume, window_slow=26, window_fast=12, window_sign=9)`. */
export function pvo(volume: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(volume, windowSlow, windowFast, windowSign).line;
}

/** ta `pvo_signal(volume, window_slow=26, window_fast=12, window_sign=9)`. */
export function pvoSignal(volume: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(volume, windowSlow, windowFast, windowSign).signal;
}

/** ta `pvo_hist(volume, window_slow=26, window_fast=12, window_sign=9)`. */
export function pvoHist(volume: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return percentageOscillator(volume, windowSlow, windowFast, windowSign).hist;
}

// ---- the functions that need high and low (docs/features.md#high-and-low-indicators) ----

/**
 * ta `awesome_oscillator(high, low, window1=5, window2=34)`: the window1-row minus the window2-row
 * simple mean of the median price 0.5 × (high + low).
 */
export function awesomeOscillator(high: Float64Array, low: Float64Array, window1 = 5, window2 = 34): Float64Array {
  sameLengths(high, low);
  positiveInteger('window1', window1);
  positiveInteger('window2', window2);
  const median = zipWith(high, low, (h, l) => 0.5 * (h + l));
  return zipWith(rollingMean(median, { window: window1 }), rollingMean(median, { window: window2 }), (s, l) => s - l);
}

/** ta `StochasticOscillator._run`: %K = 100 × (close - lowest low) / (highest high - lowest low) over `window` rows. */
function stochK(high: Float64Array, low: Float64Array, close: Float64Array, window: number): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  const lowest = rollingMin(low, { window });
  const highest = rollingMax(high, { window });
  return close.map((c, i) => (100 * (c - lowest[i])) / (highest[i] - lowest[i]));
}

/** ta `stoch(high, low, close, window=14, smooth_window=3)`: %K (smooth_window is not used by it). */
export function stoch(high: Float64Array, low: Float64Array, close: Float64Array, window = 14, smoothWindow = 3): Float64Array {
  positiveInteger('smooth_window', smoothWindow);
  return stochK(high, low, close, window);
}

/** ta `stoch_signal(high, low, close, window=14, smooth_window=3)`: %D, the smooth_window-row mean of %K. */
export function stochSignal(high: Float64Array, low: Float64Array, close: Float64Array, window = 14, smoothWindow = 3): Float64Array {
  positiveInteger('smooth_window', smoothWindow);
  return rollingMean(stochK(high, low, close, window), { window: smoothWindow });
}

/**
 * ta `ultimate_oscillator(high, low, close, window1=7, window2=14, window3=28, weight1=4.0, weight2=2.0,
 * weight3=1.0)`: buying pressure close - min(low, previous close) over true range, summed over three
 * windows, 100 × their weighted mean.
 */
export function ultimateOscillator(
  high: Float64Array, low: Float64Array, close: Float64Array,
  window1 = 7, window2 = 14, window3 = 28, weight1 = 4.0, weight2 = 2.0, weight3 = 1.0,
): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('window1', window1);
  positiveInteger('window2', window2);
  positiveInteger('window3', window3);
  const previous = shift(close, 1);
  const range = trueRange(high, low, previous);
  const floor = elementwiseMinMax(low, previous, false); // DataFrame.min(axis=1, skipna=False)
  const pressure = zipWith(close, floor, (c, f) => c - f);
  const average = (window: number) => zipWith(rollingSum(pressure, { window }), rollingSum(range, { window }), (p, r) => p / r);
  const s = average(window1);
  const m = average(window2);
  const l = average(window3);
  const weights = weight1 + weight2 + weight3;
  return s.map((v, i) => (100.0 * (weight1 * v + weight2 * m[i] + weight3 * l[i])) / weights);
}

/** ta `williams_r(high, low, close, lbp=14)`: -100 × (highest high - close) / (highest high - lowest low) over lbp rows. */
export function williamsR(high: Float64Array, low: Float64Array, close: Float64Array, lbp = 14): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('lbp', lbp);
  const highest = rollingMax(high, { window: lbp });
  const lowest = rollingMin(low, { window: lbp });
  return close.map((c, i) => (-100 * (highest[i] - c)) / (highest[i] - lowest[i]));
}
