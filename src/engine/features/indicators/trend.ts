/**
 * ta 0.11.0 `ta/trend.py`, the functions that need only close. Each returns one value per row,
 * NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger } from './args.js';
import { numpySum, rollingApply, rollingMax, rollingMean, rollingMin, seriesMean, shift } from './pandas.js';
import { ema, sma, zipWith } from './utils.js';

interface MacdParts {
  macd: Float64Array;
  signal: Float64Array;
  diff: Float64Array;
}

/** ta `MACD._run`: ema_fast - ema_slow, its ema over window_sign, and the difference. */
function macdParts(close: Float64Array, windowSlow: number, windowFast: number, windowSign: number): MacdParts {
  positiveInteger('window_slow', windowSlow);
  positiveInteger('window_fast', windowFast);
  positiveInteger('window_sign', windowSign);
  const macd = zipWith(ema(close, windowFast), ema(close, windowSlow), (f, s) => f - s);
  const signal = ema(macd, windowSign);
  return { macd, signal, diff: zipWith(macd, signal, (m, s) => m - s) };
}

/** ta `macd(close, window_slow=26, window_fast=12)`. */
export function macd(close: Float64Array, windowSlow = 26, windowFast = 12): Float64Array {
  return macdParts(close, windowSlow, windowFast, 9).macd;
}

/** ta `macd_signal(close, window_slow=26, window_fast=12, window_sign=9)`. */
export function macdSignal(close: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return macdParts(close, windowSlow, windowFast, windowSign).signal;
}

/** ta `macd_diff(close, window_slow=26, window_fast=12, window_sign=9)`. */
export function macdDiff(close: Float64Array, windowSlow = 26, windowFast = 12, windowSign = 9): Float64Array {
  return macdParts(close, windowSlow, windowFast, windowSign).diff;
}

/** ta `ema_indicator(close, window=12)`: `ewm(span=window, min_periods=window, adjust=False).mean()`. */
export function emaIndicator(close: Float64Array, window = 12): Float64Array {
  return ema(close, positiveInteger('window', window));
}

/** ta `sma_indicator(close, window=12)`: `rolling(window, min_periods=window).mean()`. */
export function smaIndicator(close: Float64Array, window = 12): Float64Array {
  return sma(close, positiveInteger('window', window));
}

/**
 * ta `wma_indicator(close, window=9)` (`WMAIndicator._run`): weights i·2 / (window·(window + 1)),
 * i = 1..window (newest heaviest), summed by numpy's pairwise sum over each full window.
 */
export function wmaIndicator(close: Float64Array, window = 9): Float64Array {
  positiveInteger('window', window);
  // No full window: all NaN, as ta gives (and no weight table sized by an enormous window).
  if (window > close.length) return new Float64Array(close.length).fill(NaN);
  const weight = Float64Array.from({ length: window }, (_, k) => ((k + 1) * 2) / (window * (window + 1)));
  return rollingApply(close, { window }, (x) => numpySum(x.map((v, k) => weight[k] * v)));
}

/**
 * ta `trix(close, window=15)`: one-row % change of a triple ema; the first row compares with the
 * triple ema's mean (ta shifts with `fill_value=ema3.mean()`).
 */
export function trix(close: Float64Array, window = 15): Float64Array {
  positiveInteger('window', window);
  const ema3 = ema(ema(ema(close, window), window), window);
  const previous = shift(ema3, 1, seriesMean(ema3));
  return zipWith(ema3, previous, (e, p) => ((e - p) / p) * 100);
}

/**
 * ta `dpo(close, window=20)`: close int(window/2 + 1) rows back (the series mean before that)
 * minus the `window`-row simple mean.
 */
export function dpo(close: Float64Array, window = 20): Float64Array {
  positiveInteger('window', window);
  const back = shift(close, Math.trunc(0.5 * window + 1), seriesMean(close));
  return zipWith(back, sma(close, window), (b, m) => b - m);
}

/**
 * ta `kst(close, roc1=10, roc2=15, roc3=20, roc4=30, window1=10, window2=10, window3=10, window4=15)`:
 * 100 × (rocma1 + 2 rocma2 + 3 rocma3 + 4 rocma4), each rocma the rolling mean of a rate of change
 * whose first rows compare with the close's mean (ta shifts with `fill_value=close.mean()`).
 */
export function kst(
  close: Float64Array,
  roc1 = 10, roc2 = 15, roc3 = 20, roc4 = 30,
  window1 = 10, window2 = 10, window3 = 10, window4 = 15,
): Float64Array {
  const mean = seriesMean(close);
  const rocma = (r: number, w: number) => {
    const back = shift(close, r, mean);
    const rate = zipWith(close, back, (c, b) => (c - b) / b);
    return sma(rate, w);
  };
  const checked = (name: string, value: number) => positiveInteger(name, value);
  const r1 = rocma(checked('roc1', roc1), checked('window1', window1));
  const r2 = rocma(checked('roc2', roc2), checked('window2', window2));
  const r3 = rocma(checked('roc3', roc3), checked('window3', window3));
  const r4 = rocma(checked('roc4', roc4), checked('window4', window4));
  return r1.map((a, i) => 100 * (a + 2 * r2[i] + 3 * r3[i] + 4 * r4[i]));
}

/** ta `kst_sig(close, roc1..roc4, window1..window4, nsig=9)`: the `nsig`-row mean of kst with min_periods=0. */
export function kstSig(
  close: Float64Array,
  roc1 = 10, roc2 = 15, roc3 = 20, roc4 = 30,
  window1 = 10, window2 = 10, window3 = 10, window4 = 15,
  nsig = 9,
): Float64Array {
  positiveInteger('nsig', nsig);
  const line = kst(close, roc1, roc2, roc3, roc4, window1, window2, window3, window4);
  return rollingMean(line, { window: nsig, minPeriods: 0 });
}

/**
 * ta `stc(close, window_slow=50, window_fast=23, cycle=10, smooth1=3, smooth2=3)`: the Schaff
 * trend cycle, a stochastic of MACD smoothed by ema, then a stochastic of that, smoothed again.
 */
export function stc(close: Float64Array, windowSlow = 50, windowFast = 23, cycle = 10, smooth1 = 3, smooth2 = 3): Float64Array {
  positiveInteger('window_slow', windowSlow);
  positiveInteger('window_fast', windowFast);
  positiveInteger('cycle', cycle);
  positiveInteger('smooth1', smooth1);
  positiveInteger('smooth2', smooth2);
  const macdLine = zipWith(ema(close, windowFast), ema(close, windowSlow), (f, s) => f - s);
  const stochastic = (x: Float64Array) => {
    const low = rollingMin(x, { window: cycle });
    const high = rollingMax(x, { window: cycle });
    return x.map((v, i) => (100 * (v - low[i])) / (high[i] - low[i]));
  };
  const stochD = ema(stochastic(macdLine), smooth1);
  return ema(stochastic(stochD), smooth2);
}
