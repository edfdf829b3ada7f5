/**
 * ta 0.11.0 `ta/volume.py`, the functions that need only close and volume. Each returns one value
 * per row, NaN where ta gives NaN; ±inf where ta gives ±inf.
 */
import { positiveInteger, sameLength } from './args.js';
import { cumsum, pctChange, rollingMean, shift } from './pandas.js';
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
