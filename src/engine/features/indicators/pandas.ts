/**
 * The pandas operations `ta` 0.11.0 builds its indicators from, written once and in pandas' own
 * arithmetic order (pandas 2.2.3, numpy 1.26.4 — the pins of pyspark/requirements.txt), so every
 * indicator built on them reproduces ta bit for bit or to the last few ulps:
 *
 * - window kernels: `pandas/_libs/window/aggregations.pyx` (`ewm`, `roll_sum`, `roll_mean`, `roll_var`,
 *   `_roll_min_max`, `roll_apply`), for the one fixed window `Series.rolling(window)` uses
 *   (`FixedWindowIndexer`: row i covers rows max(0, i + 1 - window) .. i);
 * - `BaseWindow._prep_values`: every rolling and ewm kernel sees ±inf as NaN (missing);
 * - `Series.sum()` / `Series.mean()` / `ndarray.sum()`: NaN skipped, then numpy's pairwise summation;
 * - `Series.shift`, `Series.diff`, `Series.pct_change` (pads NaN first, pandas 2.2's default), `Series.cumsum`.
 *
 * Series are Float64Array; NaN is a missing value (pandas' NaN / null). Inputs are never modified.
 */

/** `Rolling(window, min_periods)`: pandas' default min_periods is the window. */
export interface RollingOptions {
  window: number;
  minPeriods?: number;
}

/** `Series.ewm(com=..., adjust=..., min_periods=..., ignore_na=...)`. */
export interface EwmOptions {
  /** Centre of mass; see {@link comFromSpan} and {@link comFromAlpha}. */
  com: number;
  adjust: boolean;
  minPeriods?: number;
  ignoreNa?: boolean;
}

/** pandas `get_center_of_mass(span=...)`: com = (span - 1) / 2. */
export function comFromSpan(span: number): number {
  return (span - 1) / 2;
}

/** pandas `get_center_of_mass(alpha=...)`: com = (1 - alpha) / alpha (the kernel turns it back). */
export function comFromAlpha(alpha: number): number {
  return (1 - alpha) / alpha;
}

/** `BaseWindow._prep_values`: ±inf become NaN before any window kernel runs. */
function windowValues(x: Float64Array): Float64Array {
  let hasInf = false;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === Infinity || x[i] === -Infinity) {
      hasInf = true;
      break;
    }
  }
  if (!hasInf) return x;
  return x.map((v) => (v === Infinity || v === -Infinity ? NaN : v));
}

function checkWindow(window: number, minPeriods: number): void {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  if (!Number.isInteger(minPeriods) || minPeriods < 0) throw new RangeError(`min_periods must be an integer 0 or greater, got ${minPeriods}`);
  if (minPeriods > window) throw new RangeError(`min_periods ${minPeriods} must be <= window ${window}`);
}

/** FixedWindowIndexer: first row of the window that ends at row i (inclusive end i + 1). */
function windowStart(i: number, window: number): number {
  return i + 1 - window > 0 ? i + 1 - window : 0;
}

/**
 * `Series.ewm(...).mean()`: pandas' `ewm` kernel over one window (no times, normalize=True).
 * adjust=False: y_t = ((1-a) y_{t-1} + a x_t) / ((1-a) + a); adjust=True: weights accumulate.
 * The kernel keeps y when x equals it ("avoid numerical errors on constant series"), and, with
 * ignore_na=False, lets a missing value decay the old weight. Writes into `out` (a new array by default).
 */
export function ewmMean(x: Float64Array, options: EwmOptions, out: Float64Array = new Float64Array(x.length)): Float64Array {
  // `out` may be `x` itself: row i is read before it is written, and never read again.
  const vals = windowValues(x);
  const n = vals.length;
  if (n === 0) return out;
  const minp = Math.max(options.minPeriods ?? 0, 1); // ExponentialMovingWindow: max(int(min_periods), 1)
  const ignoreNa = options.ignoreNa ?? false;
  const adjust = options.adjust;
  const alpha = 1 / (1 + options.com);
  const oldWtFactor = 1 - alpha;
  const newWt = adjust ? 1 : alpha;

  let weighted = vals[0];
  let nobs = weighted === weighted ? 1 : 0;
  out[0] = nobs >= minp ? weighted : NaN;
  let oldWt = 1;
  for (let i = 1; i < n; i++) {
    const cur = vals[i];
    const isObservation = cur === cur;
    if (isObservation) nobs++;
    if (weighted === weighted) {
      if (isObservation || !ignoreNa) {
        oldWt *= oldWtFactor;
        if (isObservation) {
          if (weighted !== cur) {
            weighted = oldWt * weighted + newWt * cur;
            weighted /= oldWt + newWt;
          }
          if (adjust) oldWt += newWt;
          else oldWt = 1;
        }
      }
    } else if (isObservation) {
      weighted = cur;
    }
    out[i] = nobs >= minp ? weighted : NaN;
  }
  return out;
}

/**
 * `Series.rolling(window, min_periods).sum()`: `roll_sum`, Kahan-compensated adds and removes (with
 * separate compensations), and a run of equal values returns value * nobs (GH#42064).
 */
export function rollingSum(x: Float64Array, options: RollingOptions): Float64Array {
  return rollingSumOrMean(x, options, false);
}

/**
 * `Series.rolling(window, min_periods).mean()`: `roll_mean`, as `roll_sum` divided by nobs, a run of
 * equal values returns the value itself, and a sign that no input has is clamped to 0.
 */
export function rollingMean(x: Float64Array, options: RollingOptions): Float64Array {
  return rollingSumOrMean(x, options, true);
}

/**
 * An add/remove aggregation of `roll_sum`, `roll_mean` or `roll_var`: `start` resets it (setup of a
 * window), `add` and `remove` take one row's value, `result` reads the window's value.
 */
interface WindowAggregation {
  start(firstValue: number): void;
  add(value: number): void;
  remove(value: number): void;
  result(): number;
}

/**
 * The kernels' loop over FixedWindowIndexer bounds: the first window (and any window that shares no
 * row with the one before, i.e. window 1) is set up from scratch; after that the rows that left are
 * removed, then the row that came is added.
 */
function slideFixedWindow(x: Float64Array, window: number, aggregation: WindowAggregation): Float64Array {
  const vals = windowValues(x);
  const n = vals.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = windowStart(i, window);
    if (i === 0 || s >= i) {
      aggregation.start(vals[s]);
      for (let j = s; j <= i; j++) aggregation.add(vals[j]);
    } else {
      for (let j = windowStart(i - 1, window); j < s; j++) aggregation.remove(vals[j]);
      aggregation.add(vals[i]);
    }
    out[i] = aggregation.result();
  }
  return out;
}

/**
 * `roll_sum` / `roll_mean`: Kahan-compensated sums (separate compensations for adds and removes), a
 * count of negative inputs, and the length of the current run of equal values (GH#42064).
 */
class KahanWindowSum implements WindowAggregation {
  nobs = 0;
  negCount = 0;
  sum = 0;
  compensationAdd = 0;
  compensationRemove = 0;
  previous = NaN;
  run = 0;

  constructor(
    private readonly minp: number,
    private readonly mean: boolean,
  ) {}

  start(firstValue: number): void {
    this.previous = firstValue;
    this.run = 0;
    this.sum = this.compensationAdd = this.compensationRemove = 0;
    this.nobs = this.negCount = 0;
  }

  add(val: number): void {
    if (val !== val) return;
    this.nobs++;
    const y = val - this.compensationAdd;
    const t = this.sum + y;
    this.compensationAdd = t - this.sum - y;
    this.sum = t;
    if (signbit(val)) this.negCount++;
    this.run = val === this.previous ? this.run + 1 : 1;
    this.previous = val;
  }

  remove(val: number): void {
    if (val !== val) return;
    this.nobs--;
    const y = -val - this.compensationRemove;
    const t = this.sum + y;
    this.compensationRemove = t - this.sum - y;
    this.sum = t;
    if (signbit(val)) this.negCount--;
  }

  result(): number {
    const { minp, nobs } = this;
    if (!this.mean) {
      // calc_sum
      if (nobs === 0 && minp === 0) return 0;
      if (nobs >= minp) return this.run >= nobs ? this.previous * nobs : this.sum;
      return NaN;
    }
    // calc_mean
    if (nobs >= minp && nobs > 0) {
      const result = this.sum / nobs;
      if (this.run >= nobs) return this.previous;
      if (this.negCount === 0 && result < 0) return 0;
      if (this.negCount === nobs && result > 0) return 0;
      return result;
    }
    return NaN;
  }
}

/** `roll_var`: Welford's online mean and sum of squared deviations, Kahan-compensated. */
class WelfordWindowVariance implements WindowAggregation {
  nobs = 0;
  meanX = 0;
  ssqdm = 0;
  compensationAdd = 0;
  compensationRemove = 0;
  previous = NaN;
  run = 0;

  constructor(
    private readonly minp: number,
    private readonly ddof: number,
  ) {}

  start(firstValue: number): void {
    this.previous = firstValue;
    this.run = 0;
    this.meanX = this.ssqdm = this.nobs = this.compensationAdd = this.compensationRemove = 0;
  }

  add(val: number): void {
    if (val !== val) return;
    this.nobs++;
    this.run = val === this.previous ? this.run + 1 : 1;
    this.previous = val;
    const prevMean = this.meanX - this.compensationAdd;
    const y = val - this.compensationAdd;
    const t = y - this.meanX;
    this.compensationAdd = t + this.meanX - y;
    this.meanX = this.nobs !== 0 ? this.meanX + t / this.nobs : 0;
    this.ssqdm = this.ssqdm + (val - prevMean) * (val - this.meanX);
  }

  remove(val: number): void {
    if (val !== val) return;
    this.nobs--;
    if (this.nobs !== 0) {
      const prevMean = this.meanX - this.compensationRemove;
      const y = val - this.compensationRemove;
      const t = y - this.meanX;
      this.compensationRemove = t + this.meanX - y;
      this.meanX = this.meanX - t / this.nobs;
      this.ssqdm = this.ssqdm - (val - prevMean) * (val - this.meanX);
    } else {
      this.meanX = 0;
      this.ssqdm = 0;
    }
  }

  result(): number {
    const { nobs, ddof } = this;
    if (nobs >= this.minp && nobs > ddof) return nobs === 1 || this.run >= nobs ? 0 : this.ssqdm / (nobs - ddof);
    return NaN;
  }
}

/** C's signbit: true for negative numbers and -0. */
function signbit(v: number): boolean {
  return v < 0 || (v === 0 && 1 / v < 0);
}

function rollingSumOrMean(x: Float64Array, options: RollingOptions, mean: boolean): Float64Array {
  const { window } = options;
  const minp = options.minPeriods ?? window;
  checkWindow(window, minp);
  return slideFixedWindow(x, window, new KahanWindowSum(minp, mean));
}

/**
 * `Series.rolling(window, min_periods).var(ddof)`: `roll_var`, Welford's online update with Kahan
 * compensation; a run of equal values covering the window gives exactly 0.
 */
export function rollingVar(x: Float64Array, options: RollingOptions & { ddof?: number }): Float64Array {
  const { window } = options;
  const minPeriods = options.minPeriods ?? window;
  checkWindow(window, minPeriods);
  return slideFixedWindow(x, window, new WelfordWindowVariance(Math.max(minPeriods, 1), options.ddof ?? 1));
}

/** `Series.rolling(window, min_periods).std(ddof)`: sqrt of `roll_var`, negatives read as 0 (`zsqrt`). */
export function rollingStd(x: Float64Array, options: RollingOptions & { ddof?: number }): Float64Array {
  const variance = rollingVar(x, options);
  return variance.map((v) => (v < 0 ? 0 : Math.sqrt(v)));
}

/** `Series.rolling(window, min_periods).max()`: `_roll_min_max` (a monotonic deque, NaN skipped). */
export function rollingMax(x: Float64Array, options: RollingOptions): Float64Array {
  return rollingMinMax(x, options, true);
}

/** `Series.rolling(window, min_periods).min()`: `_roll_min_max`. */
export function rollingMin(x: Float64Array, options: RollingOptions): Float64Array {
  return rollingMinMax(x, options, false);
}

function rollingMinMax(x: Float64Array, options: RollingOptions, isMax: boolean): Float64Array {
  const { window } = options;
  const minp = options.minPeriods ?? window;
  checkWindow(window, minp);
  const vals = windowValues(x);
  const n = vals.length;
  const out = new Float64Array(n);
  // Q: candidate indices, the window's max (min) at the front; W: every index in the window, for nobs.
  const q = new Int32Array(n);
  let qHead = 0;
  let qTail = 0;
  let wHead = 0;
  let nobs = 0;
  for (let i = 0; i < n; i++) {
    const start = windowStart(i, window);
    const k = i; // each fixed window adds exactly row i (the first one adds rows 0..0)
    let ai = vals[k];
    if (ai === ai) nobs++;
    else ai = isMax ? -Infinity : Infinity;
    if (isMax) {
      while (qTail > qHead && (ai >= vals[q[qTail - 1]] || vals[q[qTail - 1]] !== vals[q[qTail - 1]])) qTail--;
    } else {
      while (qTail > qHead && (ai <= vals[q[qTail - 1]] || vals[q[qTail - 1]] !== vals[q[qTail - 1]])) qTail--;
    }
    q[qTail++] = k;
    while (qTail > qHead && q[qHead] <= start - 1) qHead++;
    while (wHead <= start - 1) {
      if (vals[wHead] === vals[wHead]) nobs--;
      wHead++;
    }
    const windowSize = i + 1 - start;
    out[i] = qTail > qHead && windowSize > 0 && nobs >= minp ? vals[q[qHead]] : NaN;
  }
  return out;
}

/**
 * `Series.rolling(window, min_periods).apply(fn, raw=True)`: `roll_apply` calls fn on the window's
 * rows (±inf already NaN) when it holds at least min_periods finite values, else NaN.
 */
export function rollingApply(
  x: Float64Array,
  options: RollingOptions,
  fn: (windowValues: Float64Array) => number,
): Float64Array {
  const { window } = options;
  const minp = options.minPeriods ?? window;
  checkWindow(window, minp);
  const vals = windowValues(x);
  const finite = vals.map((v) => (Number.isFinite(v) ? 1 : 0));
  const counts = rollingSum(finite, { window, minPeriods: minp });
  const out = new Float64Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    out[i] = counts[i] >= minp ? fn(vals.subarray(windowStart(i, window), i + 1)) : NaN;
  }
  return out;
}

/**
 * numpy's `add.reduce` over float64 (what `ndarray.sum()` and, after NaN -> 0, `Series.sum()` run):
 * 0.0 plus numpy's pairwise sum (8 accumulators up to 128 values, halves above).
 */
export function numpySum(x: Float64Array): number {
  return 0 + pairwiseSum(x, 0, x.length);
}

function pairwiseSum(a: Float64Array, offset: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[offset + i];
    return res;
  }
  if (n <= 128) {
    const r0 = a[offset], r1 = a[offset + 1], r2 = a[offset + 2], r3 = a[offset + 3];
    const r4 = a[offset + 4], r5 = a[offset + 5], r6 = a[offset + 6], r7 = a[offset + 7];
    const r = [r0, r1, r2, r3, r4, r5, r6, r7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] += a[offset + i + j];
    }
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[offset + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, offset, n2) + pairwiseSum(a, offset + n2, n - n2);
}

/** `Series.sum()` (skipna): NaN counts as 0 in numpy's pairwise sum. */
export function seriesSum(x: Float64Array): number {
  return numpySum(x.map((v) => (v === v ? v : 0)));
}

/** `Series.mean()` (skipna, pandas `nanmean`): the NaN-as-0 pairwise sum over the count of non-NaN. */
export function seriesMean(x: Float64Array): number {
  let count = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === x[i]) count++;
  return count > 0 ? seriesSum(x) / count : NaN;
}

/** `Series.shift(periods, fill_value=...)`: rows move down by `periods`; the vacated rows get fillValue. */
export function shift(x: Float64Array, periods: number, fillValue = NaN): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = i - periods;
    out[i] = j >= 0 && j < n ? x[j] : fillValue;
  }
  return out;
}

/** `Series.diff(periods)`: x[i] - x[i - periods], NaN for the first `periods` rows. */
export function diff(x: Float64Array, periods = 1): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = i >= periods ? x[i] - x[i - periods] : NaN;
  return out;
}

/** `Series.ffill()`: a missing value takes the last value before it. */
export function ffill(x: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  for (let i = 1; i < out.length; i++) if (out[i] !== out[i]) out[i] = out[i - 1];
  return out;
}

/** `Series.pct_change(periods)` with pandas 2.2's default fill_method='pad': x / x.shift(periods) - 1. */
export function pctChange(x: Float64Array, periods = 1): Float64Array {
  const data = ffill(x);
  const shifted = shift(data, periods);
  return data.map((v, i) => v / shifted[i] - 1);
}

/** `Series.cumsum()` (skipna): a running sum that skips NaN rows and leaves them NaN. */
export function cumsum(x: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  let acc = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === v) {
      acc += v;
      out[i] = acc;
    } else {
      acc += 0; // numpy accumulates 0 at masked rows, then masks them
      out[i] = NaN;
    }
  }
  return out;
}

/**
 * ta's `IndicatorMixin._true_range(high, low, prev_close)`: the row-wise `DataFrame.max(axis=1)` (NaN
 * skipped; NaN only when all three are) of high - low, |high - prev_close| and |low - prev_close|.
 * Row 0 has no previous close, so it is high - low. See docs/features.md#high-low-primitives.
 */
export function trueRange(high: Float64Array, low: Float64Array, prevClose: Float64Array): Float64Array {
  const out = new Float64Array(high.length);
  for (let i = 0; i < out.length; i++) {
    const range = high[i] - low[i];
    const up = Math.abs(high[i] - prevClose[i]);
    const down = Math.abs(low[i] - prevClose[i]);
    let best = NaN;
    for (const v of [range, up, down]) if (v === v && !(v <= best)) best = v;
    out[i] = best;
  }
  return out;
}

/**
 * Row-wise min or max of two series: numpy's `amin`/`amax` over `[a, b]` (what ta's `_get_min_max` runs)
 * and `DataFrame.min(axis=1, skipna=False)` both give NaN where either value is NaN.
 */
export function elementwiseMinMax(a: Float64Array, b: Float64Array, isMax: boolean): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) {
    const x = a[i];
    const y = b[i];
    out[i] = x !== x || y !== y ? NaN : isMax ? (x >= y ? x : y) : x <= y ? x : y;
  }
  return out;
}

/**
 * Wilder's average as ta's `AverageTrueRange._run` writes it: 0 on rows 0 .. window-2, row window-1 the
 * `Series.mean()` of the first `window` values, then avg[i] = (avg[i-1] * (window - 1) + x[i]) / window.
 * ta fails (IndexError) on fewer than `window` rows; here every row is then NaN.
 */
export function wilderAverage(x: Float64Array, window: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  if (window > n) return out.fill(NaN);
  out[window - 1] = seriesMean(x.subarray(0, window));
  for (let i = window; i < n; i++) out[i] = (out[i - 1] * (window - 1) + x[i]) / window;
  return out;
}

/**
 * Wilder's running sum as ta's `ADXIndicator._run` writes it, over a series whose row 0 is NaN (a
 * difference with the row before): an array of n - window + 1 values, s[0] the `Series.sum()` of the
 * first `window` non-NaN values (rows 1 .. window), s[i] = s[i-1] - s[i-1] / window + x[window + i] for
 * i = 1 .. n - window - 1, and the last value left at 0 (ta's loop stops one short). Needs n >= window.
 */
export function wilderSum(x: Float64Array, window: number): Float64Array {
  const n = x.length;
  const out = new Float64Array(n - (window - 1));
  const present = x.filter((v) => v === v);
  out[0] = seriesSum(present.subarray(0, window));
  for (let i = 1; i < out.length - 1; i++) out[i] = out[i - 1] - out[i - 1] / window + x[window + i];
  return out;
}
