/**
 * RSI, exactly as `ta.momentum.RSIIndicator(close, window).rsi()` computes it (ta 0.11.0,
 * bukosabino/ta `ta/momentum.py`, `RSIIndicator._run`), SPEC.md section 2:
 *
 *   diff = close.diff(1)
 *   up   = diff.where(diff > 0, 0.0)             row 0: diff is NaN, NaN > 0 is false → 0.0
 *   down = -diff.where(diff < 0, 0.0)            row 0 likewise 0
 *   emaup = up.ewm(alpha=1/window, min_periods=window, adjust=False).mean()   (emadn likewise)
 *   rsi  = where(emadn == 0, 100, 100 - 100 / (1 + emaup / emadn))
 *
 * The EWM is pandas' `ewm` kernel (`pandas/_libs/window/aggregations.pyx`, `ewm`), reproduced
 * operation for operation because other algebraic forms drift by ~1e-14:
 *   - pandas turns `alpha` into a centre of mass and back (`get_center_of_mass`):
 *     com = (1 - alpha) / alpha, then alpha' = 1 / (1 + com) (for window 3 this differs from 1/3);
 *   - adjust=False: old_wt = 1 * (1 - alpha'), new_wt = alpha', and each observation does
 *     `weighted = (old_wt * weighted + new_wt * cur) / (old_wt + new_wt)` — but only when
 *     `weighted != cur` ("avoid numerical errors on constant series"); otherwise it keeps `weighted`;
 *   - the first value is the first observation (y0 = x0 = 0 here);
 *   - min_periods=window: row i has i + 1 observations, so rows i < window - 1 are null.
 * Hand-written rather than taken from npm because npm's RSI implementations use other definitions
 * (e.g. `technicalindicators`: SMA seed, output rounded to 2 decimals), see SPEC.md section 2.
 *
 * @param price closing prices in date order (finite numbers)
 * @param window the RSI period (ta's `window`), a positive integer
 * @returns one value per row; NaN marks a null (the warm-up rows)
 * @example rsi(Float64Array.of(1, 2, 3), 2) // → [NaN, 100, 100]
 */
export function rsi(price: Float64Array, window = 14): Float64Array {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`RSI window must be a positive integer, got ${window}`);
  }
  const n = price.length;
  const out = new Float64Array(n);
  if (n === 0) return out;

  // pandas: get_center_of_mass(alpha) then `alpha = 1. / (1. + com)` inside the kernel.
  const requestedAlpha = 1 / window;
  const com = (1 - requestedAlpha) / requestedAlpha;
  const alpha = 1 / (1 + com);
  const oldWt = 1 * (1 - alpha); // old_wt (reset to 1 after each observation) *= old_wt_factor
  const newWt = alpha; // adjust=False
  const totalWt = oldWt + newWt;

  let up = 0; // emaup, row 0: first observation is 0.0
  let dn = 0;
  out[0] = window <= 1 ? rsiValue(up, dn) : NaN;
  for (let i = 1; i < n; i++) {
    const d = price[i] - price[i - 1];
    const gain = d > 0 ? d : 0;
    const loss = d < 0 ? -d : 0;
    if (up !== gain) up = (oldWt * up + newWt * gain) / totalWt;
    if (dn !== loss) dn = (oldWt * dn + newWt * loss) / totalWt;
    out[i] = i + 1 >= window ? rsiValue(up, dn) : NaN;
  }
  return out;
}

/** ta: `np.where(emadn == 0, 100, 100 - (100 / (1 + relative_strength)))`. */
function rsiValue(up: number, dn: number): number {
  return dn === 0 ? 100 : 100 - 100 / (1 + up / dn);
}
