/**
 * ta 0.11.0 `ta/volatility.py`, the functions that need only close. Each returns one value per row,
 * NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger } from './args.js';
import { numpySum, rollingApply, rollingMax, rollingMean, rollingStd } from './pandas.js';
import { zipWith } from './utils.js';

interface BollingerBands {
  mavg: Float64Array;
  hband: Float64Array;
  lband: Float64Array;
}

/**
 * ta `BollingerBands._run`: the `window`-row mean ± window_dev population standard deviations
 * (`rolling(window, min_periods=window)`, `std(ddof=0)`).
 */
function bollingerBands(close: Float64Array, window: number, windowDev: number): BollingerBands {
  positiveInteger('window', window);
  const mavg = rollingMean(close, { window, minPeriods: window });
  const mstd = rollingStd(close, { window, minPeriods: window, ddof: 0 });
  return {
    mavg,
    hband: zipWith(mavg, mstd, (m, s) => m + windowDev * s),
    lband: zipWith(mavg, mstd, (m, s) => m - windowDev * s),
  };
}

/** ta `bollinger_mavg(close, window=20)`. */
export function bollingerMavg(close: Float64Array, window = 20): Float64Array {
  return bollingerBands(close, window, 2).mavg;
}

/** ta `bollinger_hband(close, window=20, window_dev=2)`. */
export function bollingerHband(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  return bollingerBands(close, window, windowDev).hband;
}

/** ta `bollinger_lband(close, window=20, window_dev=2)`. */
export function bollingerLband(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  return bollingerBands(close, window, windowDev).lband;
}

/** ta `bollinger_wband(close, window=20, window_dev=2)`: (hband - lband) / mavg × 100 (±inf/NaN at mavg 0). */
export function bollingerWband(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  const { mavg, hband, lband } = bollingerBands(close, window, windowDev);
  return mavg.map((m, i) => ((hband[i] - lband[i]) / m) * 100);
}

/** ta `bollinger_pband(close, window=20, window_dev=2)`: (close - lband) / (hband - lband), NaN where the bands meet. */
export function bollingerPband(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  const { hband, lband } = bollingerBands(close, window, windowDev);
  return close.map((c, i) => (c - lband[i]) / (hband[i] !== lband[i] ? hband[i] - lband[i] : NaN));
}

/** ta `bollinger_hband_indicator(close, window=20, window_dev=2)`: 1 where close > hband, else 0 (also in the warm-up). */
export function bollingerHbandIndicator(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  const { hband } = bollingerBands(close, window, windowDev);
  return close.map((c, i) => (c > hband[i] ? 1 : 0));
}

/** ta `bollinger_lband_indicator(close, window=20, window_dev=2)`: 1 where close < lband, else 0 (also in the warm-up). */
export function bollingerLbandIndicator(close: Float64Array, window = 20, windowDev = 2): Float64Array {
  const { lband } = bollingerBands(close, window, windowDev);
  return close.map((c, i) => (c < lband[i] ? 1 : 0));
}

/**
 * ta `ulcer_index(close, window=14)` (`UlcerIndex._run`): the % drawdown from the running
 * `window`-row high (min_periods=1), then sqrt(sum(drawdown² / window)) over each full window.
 */
export function ulcerIndex(close: Float64Array, window = 14): Float64Array {
  positiveInteger('window', window);
  const high = rollingMax(close, { window, minPeriods: 1 });
  const drawdown = zipWith(close, high, (c, h) => (100 * (c - h)) / h);
  return rollingApply(drawdown, { window }, (x) => Math.sqrt(numpySum(x.map((v) => (v * v) / window))));
}
