/** ta's shared helpers (`ta/utils.py`), over the pandas primitives. fillna=False throughout. */
import { comFromSpan, ewmMean, rollingMean } from './pandas.js';

/** ta `_ema(series, periods)`: `series.ewm(span=periods, min_periods=periods, adjust=False).mean()`. */
export function ema(series: Float64Array, periods: number): Float64Array {
  return ewmMean(series, { com: comFromSpan(periods), adjust: false, minPeriods: periods });
}

/** ta `_sma(series, periods)`: `series.rolling(window=periods, min_periods=periods).mean()`. */
export function sma(series: Float64Array, periods: number): Float64Array {
  return rollingMean(series, { window: periods, minPeriods: periods });
}

/** Elementwise a op b over two equal-length series (pandas aligns on the same index). */
export function zipWith(a: Float64Array, b: Float64Array, op: (x: number, y: number) => number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op(a[i], b[i]);
  return out;
}
