/**
 * ta 0.11.0 `ta/trend.py`: the functions of close, then those that also need high and low. Each returns
 * one value per row, NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger, sameLengths } from './args.js';
import {
  elementwiseMinMax, numpySum, rollingApply, rollingMax, rollingMean, rollingMin, rollingSum, seriesMean, shift, trueRange, wilderSum,
} from './pandas.js';
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

// ---- the functions that need high and low (docs/features.md#high-and-low-indicators) ----

interface AdxParts {
  /** Wilder sums of true range, +DM and -DM: n - window + 1 values each (wilderSum). */
  trs: Float64Array;
  dip: Float64Array;
  din: Float64Array;
}

/**
 * ta `ADXIndicator._run`: the true range as max(high, previous close) - min(low, previous close), the
 * directional moves (up = high - previous high wins when it is larger and > 0, down likewise), each
 * Wilder-summed; null when the series is shorter than `window` (ta fails there).
 */
function adxParts(high: Float64Array, low: Float64Array, close: Float64Array, window: number): AdxParts | null {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  if (close.length < window) return null;
  const previous = shift(close, 1);
  const range = zipWith(elementwiseMinMax(high, previous, true), elementwiseMinMax(low, previous, false), (a, b) => a - b);
  const previousHigh = shift(high, 1);
  const previousLow = shift(low, 1);
  const pos = new Float64Array(close.length);
  const neg = new Float64Array(close.length);
  for (let i = 0; i < close.length; i++) {
    const up = high[i] - previousHigh[i];
    const down = previousLow[i] - low[i];
    // abs((condition) * move): a NaN move stays NaN (row 0), a false condition gives 0.
    pos[i] = up !== up ? NaN : up > down && up > 0 ? Math.abs(up) : 0;
    neg[i] = down !== down ? NaN : down > up && down > 0 ? Math.abs(down) : 0;
  }
  return { trs: wilderSum(range, window), dip: wilderSum(pos, window), din: wilderSum(neg, window) };
}

/**
 * ta `adx(high, low, close, window=14)`: Wilder's average of the directional index
 * 100 |DI+ - DI-| / (DI+ + DI-); ta writes 0 on rows before 2 × window - 1 (not NaN), and so does this.
 * ta fails on fewer than 2 × window rows; every row is NaN then.
 */
export function adx(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  const parts = adxParts(high, low, close, window);
  const n = close.length;
  if (parts === null || parts.trs.length <= window) return new Float64Array(n).fill(NaN);
  const { trs, dip, din } = parts;
  const m = trs.length;
  const index = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const plus = trs[k] !== 0 ? 100 * (dip[k] / trs[k]) : 0;
    const minus = trs[k] !== 0 ? 100 * (din[k] / trs[k]) : 0;
    index[k] = plus + minus !== 0 ? 100 * Math.abs((plus - minus) / (plus + minus)) : 0;
  }
  const smoothed = new Float64Array(m);
  smoothed[window] = numpySum(index.subarray(0, window)) / window; // ndarray.mean()
  for (let k = window + 1; k < m; k++) smoothed[k] = (smoothed[k - 1] * (window - 1) + index[k - 1]) / window;
  const out = new Float64Array(n);
  out.set(smoothed, window - 1);
  return out;
}

/** ta `ADXIndicator.adx_pos` / `adx_neg`: 100 × the Wilder sum of the move over that of the true range, 0 elsewhere. */
function directionalIndicator(high: Float64Array, low: Float64Array, close: Float64Array, window: number, side: 'dip' | 'din'): Float64Array {
  const parts = adxParts(high, low, close, window);
  const n = close.length;
  if (parts === null) return new Float64Array(n).fill(NaN);
  const { trs } = parts;
  const moves = parts[side];
  const out = new Float64Array(n);
  for (let k = 1; k < trs.length - 1; k++) out[k + window] = trs[k] !== 0 ? 100 * (moves[k] / trs[k]) : 0;
  return out;
}

/** ta `adx_pos(high, low, close, window=14)`: +DI; 0 on the first window + 1 rows and the last row, as ta writes. */
export function adxPos(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  return directionalIndicator(high, low, close, window, 'dip');
}

/** ta `adx_neg(high, low, close, window=14)`: -DI; 0 on the first window + 1 rows and the last row, as ta writes. */
export function adxNeg(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  return directionalIndicator(high, low, close, window, 'din');
}

/**
 * ta `AroonIndicator`: over window + 1 rows, where the highest high (lowest low) is, first occurrence
 * (numpy's argmax/argmin), as argmax / window × 100.
 */
function aroon(series: Float64Array, window: number, isMax: boolean): Float64Array {
  positiveInteger('window', window);
  return rollingApply(series, { window: window + 1 }, (x) => {
    let at = 0;
    for (let k = 1; k < x.length; k++) if (isMax ? x[k] > x[at] : x[k] < x[at]) at = k;
    return (at / window) * 100;
  });
}

/** ta `aroon_up(high, low, window=25)`. */
export function aroonUp(high: Float64Array, low: Float64Array, window = 25): Float64Array {
  sameLengths(high, low);
  return aroon(high, window, true);
}

/** ta `aroon_down(high, low, window=25)`. */
export function aroonDown(high: Float64Array, low: Float64Array, window = 25): Float64Array {
  sameLengths(high, low);
  return aroon(low, window, false);
}

/**
 * ta `cci(high, low, close, window=20, constant=0.015)`: (typical price - its window-row mean) /
 * (constant × its window-row mean absolute deviation), the deviation as numpy's mean(|x - mean(x)|).
 */
export function cci(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, constant = 0.015): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  const typical = close.map((c, i) => (high[i] + low[i] + c) / 3.0);
  const mean = rollingMean(typical, { window });
  const deviation = rollingApply(typical, { window }, (x) => {
    const centre = numpySum(x) / x.length;
    return numpySum(x.map((v) => Math.abs(v - centre))) / x.length;
  });
  return typical.map((t, i) => (t - mean[i]) / (constant * deviation[i]));
}

/** ta `IchimokuIndicator`: 0.5 × (highest high + lowest low) over `window` rows, with min_periods. */
function midpoint(high: Float64Array, low: Float64Array, window: number, minPeriods: number): Float64Array {
  return zipWith(rollingMax(high, { window, minPeriods }), rollingMin(low, { window, minPeriods }), (h, l) => 0.5 * (h + l));
}

/** ta's `visual=True`: the span moves down window2 rows, the first rows taking the span's `Series.mean()`. */
function visualShift(span: Float64Array, window2: number, visual: boolean): Float64Array {
  return visual ? shift(span, window2, seriesMean(span)) : span;
}

/** ta `ichimoku_conversion_line(high, low, window1=9, window2=26, visual=False)`: the window1-row midpoint (visual and window2 unused). */
export function ichimokuConversionLine(high: Float64Array, low: Float64Array, window1 = 9, window2 = 26, _visual = false): Float64Array {
  sameLengths(high, low);
  positiveInteger('window1', window1);
  positiveInteger('window2', window2);
  return midpoint(high, low, window1, window1);
}

/** ta `ichimoku_base_line(high, low, window1=9, window2=26, visual=False)`: the window2-row midpoint (visual and window1 unused). */
export function ichimokuBaseLine(high: Float64Array, low: Float64Array, window1 = 9, window2 = 26, _visual = false): Float64Array {
  sameLengths(high, low);
  positiveInteger('window1', window1);
  positiveInteger('window2', window2);
  return midpoint(high, low, window2, window2);
}

/** ta `ichimoku_a(high, low, window1=9, window2=26, visual=False)`: senkou span A, the mean of conversion and base lines. */
export function ichimokuA(high: Float64Array, low: Float64Array, window1 = 9, window2 = 26, visual = false): Float64Array {
  const span = zipWith(ichimokuConversionLine(high, low, window1, window2), ichimokuBaseLine(high, low, window1, window2), (c, b) => 0.5 * (c + b));
  return visualShift(span, window2, visual);
}

/** ta `ichimoku_b(high, low, window2=26, window3=52, visual=False)`: senkou span B, the window3-row midpoint (min_periods=0). */
export function ichimokuB(high: Float64Array, low: Float64Array, window2 = 26, window3 = 52, visual = false): Float64Array {
  sameLengths(high, low);
  positiveInteger('window2', window2);
  positiveInteger('window3', window3);
  return visualShift(midpoint(high, low, window3, 0), window2, visual);
}

/**
 * ta `mass_index(high, low, window_fast=9, window_slow=25)`: the window_slow-row sum of
 * ema(high - low) / ema(ema(high - low)), both emas over window_fast.
 */
export function massIndex(high: Float64Array, low: Float64Array, windowFast = 9, windowSlow = 25): Float64Array {
  sameLengths(high, low);
  positiveInteger('window_fast', windowFast);
  positiveInteger('window_slow', windowSlow);
  const single = ema(zipWith(high, low, (h, l) => h - l), windowFast);
  const double = ema(single, windowFast);
  return rollingSum(zipWith(single, double, (a, b) => a / b), { window: windowSlow });
}

interface Psar {
  up: Float64Array;
  down: Float64Array;
}

/**
 * ta `PSARIndicator._run`: the parabolic stop-and-reverse from row 2 on, starting in an up trend at the
 * close; `up` holds it on up-trend rows, `down` on down-trend rows, NaN on the other rows and rows 0-1.
 */
function parabolicSar(high: Float64Array, low: Float64Array, close: Float64Array, step: number, maxStep: number): Psar {
  sameLengths(high, low, close);
  const n = close.length;
  const psar = Float64Array.from(close);
  const up = new Float64Array(n).fill(NaN);
  const down = new Float64Array(n).fill(NaN);
  if (n === 0) return { up, down };
  let upTrend = true;
  let factor = step;
  let upTrendHigh = high[0];
  let downTrendLow = low[0];
  for (let i = 2; i < n; i++) {
    let reversal = false;
    const maxHigh = high[i];
    const minLow = low[i];
    if (upTrend) {
      psar[i] = psar[i - 1] + factor * (upTrendHigh - psar[i - 1]);
      if (minLow < psar[i]) {
        reversal = true;
        psar[i] = upTrendHigh;
        downTrendLow = minLow;
        factor = step;
      } else {
        if (maxHigh > upTrendHigh) {
          upTrendHigh = maxHigh;
          factor = Math.min(factor + step, maxStep);
        }
        if (low[i - 2] < psar[i]) psar[i] = low[i - 2];
        else if (low[i - 1] < psar[i]) psar[i] = low[i - 1];
      }
    } else {
      psar[i] = psar[i - 1] - factor * (psar[i - 1] - downTrendLow);
      if (maxHigh > psar[i]) {
        reversal = true;
        psar[i] = downTrendLow;
        upTrendHigh = maxHigh;
        factor = step;
      } else {
        if (minLow < downTrendLow) {
          downTrendLow = minLow;
          factor = Math.min(factor + step, maxStep);
        }
        if (high[i - 2] > psar[i]) psar[i] = high[i - 2];
        else if (high[i - 1] > psar[i]) psar[i] = high[i - 1];
      }
    }
    upTrend = upTrend !== reversal;
    if (upTrend) up[i] = psar[i];
    else down[i] = psar[i];
  }
  return { up, down };
}

/** ta `psar_up(high, low, close, step=0.02, max_step=0.2)`: the SAR on up-trend rows, NaN on the others. */
export function psarUp(high: Float64Array, low: Float64Array, close: Float64Array, step = 0.02, maxStep = 0.2): Float64Array {
  return parabolicSar(high, low, close, step, maxStep).up;
}

/** ta `psar_down(high, low, close, step=0.02, max_step=0.2)`: the SAR on down-trend rows, NaN on the others. */
export function psarDown(high: Float64Array, low: Float64Array, close: Float64Array, step = 0.02, maxStep = 0.2): Float64Array {
  return parabolicSar(high, low, close, step, maxStep).down;
}

/**
 * ta's PSAR trend-start indicators: 1 on a row whose `side` is set while the row before's is not. ta
 * writes it as psar_up.where(start, 0).where(!= 0, 1) for both sides, so a start row where psar_up is
 * exactly 0 would read 0: kept.
 */
function trendStart(psar: Psar, side: 'up' | 'down'): Float64Array {
  const s = psar[side];
  return s.map((v, i) => (v === v && (i === 0 || s[i - 1] !== s[i - 1]) ? (psar.up[i] === 0 ? 0 : 1) : 0));
}

/** ta `psar_up_indicator(high, low, close, step=0.02, max_step=0.2)`: 1 where an up trend starts, else 0. */
export function psarUpIndicator(high: Float64Array, low: Float64Array, close: Float64Array, step = 0.02, maxStep = 0.2): Float64Array {
  return trendStart(parabolicSar(high, low, close, step, maxStep), 'up');
}

/** ta `psar_down_indicator(high, low, close, step=0.02, max_step=0.2)`: 1 where a down trend starts, else 0. */
export function psarDownIndicator(high: Float64Array, low: Float64Array, close: Float64Array, step = 0.02, maxStep = 0.2): Float64Array {
  return trendStart(parabolicSar(high, low, close, step, maxStep), 'down');
}

/**
 * ta `vortex_indicator_pos` / `vortex_indicator_neg(high, low, close, window=14)`: the window-row sums of
 * |high - previous low| (|low - previous high|) over those of the true range, whose first row compares
 * with the close's `Series.mean()` (ta shifts with `fill_value=close.mean()`).
 */
function vortex(high: Float64Array, low: Float64Array, close: Float64Array, window: number, positive: boolean): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  const range = rollingSum(trueRange(high, low, shift(close, 1, seriesMean(close))), { window });
  const movement = positive ? zipWith(high, shift(low, 1), (h, l) => Math.abs(h - l)) : zipWith(low, shift(high, 1), (l, h) => Math.abs(l - h));
  return zipWith(rollingSum(movement, { window }), range, (m, r) => m / r);
}

/** ta `vortex_indicator_pos(high, low, close, window=14)`. */
export function vortexIndicatorPos(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  return vortex(high, low, close, window, true);
}

/** ta `vortex_indicator_neg(high, low, close, window=14)`. */
export function vortexIndicatorNeg(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  return vortex(high, low, close, window, false);
}
