/**
 * ta 0.11.0 `ta/volatility.py`: the functions of close, then those that also need high and low. Each
 * returns one value per row, NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { nonNegativeInteger, positiveInteger, sameLengths } from './args.js';
import { numpySum, rollingApply, rollingMax, rollingMean, rollingMin, rollingStd, shift, trueRange, wilderAverage } from './pandas.js';
import { ema, zipWith } from './utils.js';

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

// ---- the functions that need high and low (docs/features.md#high-and-low-indicators) ----

/**
 * ta `average_true_range(high, low, close, window=14)`: Wilder's average of the true range; ta writes 0
 * on the first window - 1 rows (not NaN), and so does this.
 */
export function averageTrueRange(high: Float64Array, low: Float64Array, close: Float64Array, window = 14): Float64Array {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  return wilderAverage(trueRange(high, low, shift(close, 1)), window);
}

interface KeltnerBands {
  middle: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
}

/**
 * ta `KeltnerChannel._run`. original_version: window-row means of the typical price (h + l + c) / 3 and
 * of (4h - 2l + c) / 3 and (-2h + 4l + c) / 3 (those two with min_periods=0, so they start on row 0);
 * otherwise the close's ema over `window` ± 2 average true ranges over `window_atr` (the functional API
 * keeps ta's multiplier 2).
 */
function keltnerBands(
  high: Float64Array, low: Float64Array, close: Float64Array, window: number, windowAtr: number, originalVersion: boolean,
): KeltnerBands {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  positiveInteger('window_atr', windowAtr);
  if (originalVersion) {
    const typical = close.map((c, i) => (high[i] + low[i] + c) / 3.0);
    const upper = close.map((c, i) => (4 * high[i] - 2 * low[i] + c) / 3.0);
    const lower = close.map((c, i) => (-2 * high[i] + 4 * low[i] + c) / 3.0);
    return {
      middle: rollingMean(typical, { window }),
      upper: rollingMean(upper, { window, minPeriods: 0 }),
      lower: rollingMean(lower, { window, minPeriods: 0 }),
    };
  }
  const middle = ema(close, window);
  const atr = averageTrueRange(high, low, close, windowAtr);
  return {
    middle,
    upper: zipWith(middle, atr, (m, a) => m + 2 * a),
    lower: zipWith(middle, atr, (m, a) => m - 2 * a),
  };
}

/** ta `keltner_channel_mband(high, low, close, window=20, window_atr=10, original_version=True)`. */
export function keltnerChannelMband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  return keltnerBands(high, low, close, window, windowAtr, originalVersion).middle;
}

/** ta `keltner_channel_hband(high, low, close, window=20, window_atr=10, original_version=True)`. */
export function keltnerChannelHband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  return keltnerBands(high, low, close, window, windowAtr, originalVersion).upper;
}

/** ta `keltner_channel_lband(high, low, close, window=20, window_atr=10, original_version=True)`. */
export function keltnerChannelLband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  return keltnerBands(high, low, close, window, windowAtr, originalVersion).lower;
}

/** ta `keltner_channel_wband(...)`: (upper - lower) / middle × 100. */
export function keltnerChannelWband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  const { middle, upper, lower } = keltnerBands(high, low, close, window, windowAtr, originalVersion);
  return middle.map((m, i) => ((upper[i] - lower[i]) / m) * 100);
}

/** ta `keltner_channel_pband(...)`: (close - lower) / (upper - lower). */
export function keltnerChannelPband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  const { upper, lower } = keltnerBands(high, low, close, window, windowAtr, originalVersion);
  return close.map((c, i) => (c - lower[i]) / (upper[i] - lower[i]));
}

/** ta `keltner_channel_hband_indicator(...)`: 1 where close > upper band, else 0 (also in the warm-up). */
export function keltnerChannelHbandIndicator(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  const { upper } = keltnerBands(high, low, close, window, windowAtr, originalVersion);
  return close.map((c, i) => (c > upper[i] ? 1 : 0));
}

/** ta `keltner_channel_lband_indicator(...)`: 1 where close < lower band, else 0 (also in the warm-up). */
export function keltnerChannelLbandIndicator(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, windowAtr = 10, originalVersion = true): Float64Array {
  const { lower } = keltnerBands(high, low, close, window, windowAtr, originalVersion);
  return close.map((c, i) => (c < lower[i] ? 1 : 0));
}

interface DonchianBands {
  upper: Float64Array;
  lower: Float64Array;
}

/** ta `DonchianChannel._run`: the highest high and the lowest low over `window` rows. */
function donchianBands(high: Float64Array, low: Float64Array, close: Float64Array, window: number, offset: number): DonchianBands {
  sameLengths(high, low, close);
  positiveInteger('window', window);
  nonNegativeInteger('offset', offset);
  return { upper: rollingMax(high, { window }), lower: rollingMin(low, { window }) };
}

/** ta's Donchian outputs move down `offset` rows when offset is not 0 (`Series.shift(offset)`). */
function offsetBy(x: Float64Array, offset: number): Float64Array {
  return offset !== 0 ? shift(x, offset) : x;
}

/** ta `donchian_channel_hband(high, low, close, window=20, offset=0)`. */
export function donchianChannelHband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, offset = 0): Float64Array {
  return offsetBy(donchianBands(high, low, close, window, offset).upper, offset);
}

/** ta `donchian_channel_lband(high, low, close, window=20, offset=0)`. */
export function donchianChannelLband(high: Float64Array, low: Float64Array, close: Float64Array, window = 20, offset = 0): Float64Array {
  return offsetBy(donchianBands(high, low, close, window, offset).lower, offset);
}

/** ta `donchian_channel_mband(high, low, close, window=10, offset=0)`: (upper - lower) / 2 + lower. */
export function donchianChannelMband(high: Float64Array, low: Float64Array, close: Float64Array, window = 10, offset = 0): Float64Array {
  const { upper, lower } = donchianBands(high, low, close, window, offset);
  return offsetBy(upper.map((u, i) => (u - lower[i]) / 2.0 + lower[i]), offset);
}

/** ta `donchian_channel_wband(high, low, close, window=10, offset=0)`: (upper - lower) / (window-row mean close) × 100. */
export function donchianChannelWband(high: Float64Array, low: Float64Array, close: Float64Array, window = 10, offset = 0): Float64Array {
  const { upper, lower } = donchianBands(high, low, close, window, offset);
  const mean = rollingMean(close, { window });
  return offsetBy(upper.map((u, i) => ((u - lower[i]) / mean[i]) * 100), offset);
}

/** ta `donchian_channel_pband(high, low, close, window=10, offset=0)`: (close - lower) / (upper - lower). */
export function donchianChannelPband(high: Float64Array, low: Float64Array, close: Float64Array, window = 10, offset = 0): Float64Array {
  const { upper, lower } = donchianBands(high, low, close, window, offset);
  return offsetBy(close.map((c, i) => (c - lower[i]) / (upper[i] - lower[i])), offset);
}
