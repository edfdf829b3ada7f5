/**
 * Split conformal intervals around a price forecast (docs/forecast.md#intervals), as one small
 * declared object in the manner of MAPIE's conformity scores: how a miss is measured, which quantile
 * of the misses is taken, and how a bound is rebuilt from it. The model that made the forecast and the
 * walk-forward that produced the scores know nothing of it.
 *
 *   score of origin t:  q[t] = |f[t] − y[t]| / price[t]     (the miss relative to the price known at t)
 *   from n scores:      k = ceil((n + 1)·L − 1e-9); k > n: too few scores for level L
 *                       width = the k-th smallest score
 *   interval:           [max(0, f − width·price), f + width·price]
 *
 * `forecast` uses it for the days after the last one; the same rule replayed over the walk-forward
 * (`intervalHistory`) gives the coverage an interval had on the history.
 */

/** The conformity score of one forecast: its absolute error relative to the price at its origin. */
export function conformityScore(forecast: number, actual: number, originPrice: number): number {
  return Math.abs(forecast - actual) / originPrice;
}

/** Rank k of the score that bounds level L among n scores; k > n means there are too few. */
export function conformalRank(n: number, level: number): number {
  return Math.ceil((n + 1) * level - 1e-9);
}

/** The fewest scores that give level L an interval (the smallest n with rank ≤ n). */
export function scoresNeeded(level: number): number {
  let n = 1;
  while (conformalRank(n, level) > n) n++;
  return n;
}

/** The k-th smallest of `scores` (the width), or NaN when k > n. */
export function conformalWidth(scores: ArrayLike<number>, level: number): number {
  const n = scores.length;
  const k = conformalRank(n, level);
  if (k > n || k < 1) return NaN;
  const sorted = Float64Array.from(scores).sort();
  return sorted[k - 1];
}

export interface Interval {
  lower: number;
  upper: number;
}

/** The interval of a forecast from a width (a share of the origin price); a price is never below 0. */
export function conformalInterval(forecast: number, width: number, originPrice: number): Interval {
  const half = width * originPrice;
  return { lower: Math.max(0, forecast - half), upper: forecast + half };
}

/** How intervals of one level did over a walk-forward. */
export interface IntervalRecord {
  level: number;
  /** Origins that had an interval (enough earlier scores). */
  origins: number;
  /** Share of those whose actual lay within [lower, upper]. */
  coverage: number;
  /** Mean (upper − lower) / price at the origin. */
  width: number;
  /** Mean interval score (Gneiting and Raftery) divided by the price at the origin. */
  score: number;
}

/**
 * The intervals the rule would have given over a walk-forward, origin by origin: origin i (in order)
 * gets the interval from the scores of earlier origins j with j + h ≤ i (their actual was known by
 * then), the last `window` of them when given, or none while there are too few.
 *
 * @param forecast, actual, price: per walk-forward origin, in order
 * @param bounds when given, filled with each origin's interval (NaN where it had none), for charts
 */
export function intervalHistory(
  forecast: Float64Array,
  actual: Float64Array,
  price: Float64Array,
  horizon: number,
  level: number,
  window?: number,
  bounds?: { lower: Float64Array; upper: Float64Array },
): IntervalRecord {
  const T = forecast.length;
  const scores = new Float64Array(T);
  for (let t = 0; t < T; t++) scores[t] = conformityScore(forecast[t], actual[t], price[t]);
  let origins = 0;
  let covered = 0;
  let sumWidth = 0;
  let sumScore = 0;
  const penalty = 2 / (1 - level);
  // The known scores kept sorted as origins pass (one insertion, and one removal with a window, each
  // step), instead of sorting them again at every origin.
  const sorted = new Float64Array(T);
  let size = 0;
  let from = 0;
  for (let i = 0; i < T; i++) {
    const known = i - horizon + 1; // scores 0 … known − 1 are known at origin i
    if (known <= 0) continue;
    size = insertSorted(sorted, size, scores[known - 1]);
    if (window !== undefined && known - from > window) size = removeSorted(sorted, size, scores[from++]);
    const k = conformalRank(size, level);
    if (k > size || k < 1) continue;
    const { lower, upper } = conformalInterval(forecast[i], sorted[k - 1], price[i]);
    if (bounds) {
      bounds.lower[i] = lower;
      bounds.upper[i] = upper;
    }
    const y = actual[i];
    origins++;
    if (lower <= y && y <= upper) covered++;
    sumWidth += (upper - lower) / price[i];
    const miss = y < lower ? lower - y : y > upper ? y - upper : 0;
    sumScore += (upper - lower + penalty * miss) / price[i];
  }
  return {
    level,
    origins,
    coverage: origins === 0 ? NaN : covered / origins,
    width: origins === 0 ? NaN : sumWidth / origins,
    score: origins === 0 ? NaN : sumScore / origins,
  };
}

/** First index in sorted[0 … size − 1] whose value is ≥ value. */
function lowerBound(sorted: Float64Array, size: number, value: number): number {
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: Float64Array, size: number, value: number): number {
  const at = lowerBound(sorted, size, value);
  sorted.copyWithin(at + 1, at, size);
  sorted[at] = value;
  return size + 1;
}

function removeSorted(sorted: Float64Array, size: number, value: number): number {
  const at = lowerBound(sorted, size, value);
  sorted.copyWithin(at, at + 1, size);
  return size - 1;
}

/** `lower_80`, `upper_97p5`: L·100 rounded to 6 decimals, trailing zeros dropped, `.` written `p`. */
export function levelSuffix(level: number): string {
  return String(Number((level * 100).toFixed(6))).replace('.', 'p');
}
