/** ta 0.11.0 `ta/others.py`: returns, in percent. NaN where ta gives NaN; ±inf where ta gives ±inf. */
import { diff, shift } from './pandas.js';

/** ta `daily_return(close)`: (close / previous close - 1) × 100. */
export function dailyReturn(close: Float64Array): Float64Array {
  const previous = shift(close, 1);
  return close.map((c, i) => (c / previous[i] - 1) * 100);
}

/**
 * ta `daily_log_return(close)`: diff of ln(close) × 100. numpy's log (SVML on AVX-512 machines) and
 * V8's may differ by an ulp, so this one is exact to ~1e-13 relative rather than bit for bit.
 */
export function dailyLogReturn(close: Float64Array): Float64Array {
  return diff(close.map(Math.log)).map((d) => d * 100);
}

/** ta `cumulative_return(close)`: (close / first close - 1) × 100. */
export function cumulativeReturn(close: Float64Array): Float64Array {
  const first = close[0];
  return close.map((c) => (c / first - 1) * 100);
}
