/**
 * ta 0.11.0 `ta/volume.py`: the functions of close and volume, then those that also need high and low.
 * Each returns one value per row, NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger, sameLength, sameLengths } from './args.js';
import { cumsum, diff, numpySum, pctChange, rollingApply, rollingMean, rollingSum, shift } from './pandas.js';
import { ema, zipWith } from './utils.js';

/** ta `on_balance_volume(close, volume)`: running sum of volume, subtracted on rows whose close fell. */
export function onBalanceVolume(close: Float64Array, volume: Float64Array): Float64Array {
  sameLength(close, volume);
  const previous = shift(close, 1);
  return cumsum(volume.map((v, i) => (close[i] < previous[i] ? -v : v)));
}

/** ta `force_index(close, volume, window=13)`: ema over `window` of (close change × volume). */
export function forceIndex(close: Float64Array, volume: Float64Array, window = 13): Float64Array {
  sameLength(close, volume);
  positiveInteger('window', window);
  const previous = shift(close, 1);
  return ema(close.map((c, i) => (c - previous[i]) * volume[i]), window);
}

/**
 * ta `negative_volume_index(close, volume)` (Fosback's NVI): starts at 1000 and moves by the close's
 * % change only on rows whose volume fell.
 */
export function negativeVolumeIndex(close: Float64Array, volume: Float64Array): Float64Array {
  sameLength(close, volume);
  const n = close.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const change = pctChange(close);
  out[0] = 1000;
  for (let i = 1; i < n; i++) {
    out[i] = volume[i - 1] > volume[i] ? out[i - 1] * (1.0 + change[i]) : out[i - 1];
  }
  return out;
}

/**
 * ta `volume_price_trend(close, volume, smoothing_factor=None, dropnans=False)`: running sum of
 * close % change × volume, then (when smoothing_factor is set and not 0) its rolling mean.
 * smoothing_factor 0 here stands for ta's None: ta tests `if smoothing_factor:`, so both skip it.
 * dropnans is accepted and changes nothing here: ta drops the NaN rows, and putting its series back
 * on the frame's index (as a feature column) puts them back as NaN.
 */
export function volumePriceTrend(close: Float64Array, volume: Float64Array, smoothingFactor = 0, _dropnans = false): Float64Array {
  sameLength(close, volume);
  const vpt = cumsum(zipWith(pctChange(close), volume, (p, v) => p * v));
  if (smoothingFactor === 0) return vpt;
  positiveInteger('smoothing_factor', smoothingFactor);
  return rollingMean(vpt, { window: smoothingFactor, minPeriods: smoothingFactor });
}

// ---- the functions that need high and low (docs/features.md#high-and-low-indicators) ----

/**
 * The close location value ((close - low) - (high - close)) / (high - low) × volume, with ta's
 * `fillna(0.0)`: a flat day (high = low = close) gives 0/0, read as 0.
 */
function moneyFlowVolume(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array): Float64Array {
  sameLengths(high, low, close, volume);
  return close.map((c, i) => {
    const location = (c - low[i] - (high[i] - c)) / (high[i] - low[i]);
    return (location === location ? location : 0.0) * volume[i];
  });
}

/** ta `acc_dist_index(high, low, close, volume)`: the running sum of the money flow volume. */
export function accDistIndex(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array): Float64Array {
  return cumsum(moneyFlowVolume(high, low, close, volume));
}

/** ta `chaikin_money_flow(high, low, close, volume, window=20)`: window-row sum of money flow volume over that of volume. */
export function chaikinMoneyFlow(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, window = 20): Float64Array {
  positiveInteger('window', window);
  const flow = moneyFlowVolume(high, low, close, volume);
  return zipWith(rollingSum(flow, { window }), rollingSum(volume, { window }), (f, v) => f / v);
}

/**
 * ta `ease_of_movement(high, low, volume, window=14)`: (high change + low change) × (high - low) /
 * (2 × volume) × 1e8 (window is not used by it; a zero-volume day gives ±inf or NaN).
 */
export function easeOfMovement(high: Float64Array, low: Float64Array, volume: Float64Array, window = 14): Float64Array {
  sameLengths(high, low, volume);
  positiveInteger('window', window);
  const highChange = diff(high);
  const lowChange = diff(low);
  return volume.map((v, i) => (((highChange[i] + lowChange[i]) * (high[i] - low[i])) / (2 * v)) * 100000000);
}

/** ta `sma_ease_of_movement(high, low, volume, window=14)`: the window-row mean of ease_of_movement (±inf read as missing). */
export function smaEaseOfMovement(high: Float64Array, low: Float64Array, volume: Float64Array, window = 14): Float64Array {
  return rollingMean(easeOfMovement(high, low, volume, window), { window });
}

/**
 * ta `money_flow_index(high, low, close, volume, window=14)`: typical price × volume signed by the
 * typical price's move, its positive and negative window-row sums (numpy's sum per window), and
 * 100 - 100 / (1 + positive / |negative|).
 */
export function moneyFlowIndex(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, window = 14): Float64Array {
  sameLengths(high, low, close, volume);
  positiveInteger('window', window);
  const typical = close.map((c, i) => (high[i] + low[i] + c) / 3.0);
  const previous = shift(typical, 1);
  const flow = typical.map((t, i) => t * volume[i] * (t > previous[i] ? 1 : t < previous[i] ? -1 : 0));
  const positive = rollingApply(flow, { window }, (x) => numpySum(x.map((v) => (v >= 0.0 ? v : 0.0))));
  const negative = rollingApply(flow, { window }, (x) => Math.abs(numpySum(x.map((v) => (v < 0.0 ? v : 0.0)))));
  return positive.map((p, i) => 100 - 100 / (1 + p / negative[i]));
}

/** ta `volume_weighted_average_price(high, low, close, volume, window=14)`: window-row sums of typical price × volume over volume. */
export function volumeWeightedAveragePrice(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, window = 14): Float64Array {
  sameLengths(high, low, close, volume);
  positiveInteger('window', window);
  const weighted = close.map((c, i) => ((high[i] + low[i] + c) / 3.0) * volume[i]);
  return zipWith(rollingSum(weighted, { window }), rollingSum(volume, { window }), (p, v) => p / v);
}
