/**
 * The rows a forecast is made from (docs/forecast.md#rows-and-labels): the input series in date order
 * (read, sorted, de-duplicated and given its `--missing` treatment as for `predict`), cut after the
 * `--as-of` day as if the file ended there, then the usable rows: those where every feature is finite.
 * The last day is normally usable: its features are known, only its label is not.
 *
 * label_h = lead(price, h) over the whole (cut) series, taken before any row is dropped: h rows
 * later, not h calendar days; with target `return`, lead(price, h)/price − 1.
 */
import type { DailyColumns } from '../engine/types.js';
import { computeFeatures, type FeatureItem } from '../engine/features/spec.js';
import type { Target } from '../experiment/target.js';

export interface UsableRows {
  /** Days of the usable rows, ascending. */
  day: Int32Array;
  price: Float64Array;
  /** One column per feature item, in spec order, on the usable rows. */
  features: Float64Array[];
  /** Each usable row's position in the (cut) series, so that labels can look h rows ahead there. */
  seriesRow: Int32Array;
  /** The cut series' prices (labels are read from it). */
  seriesPrice: Float64Array;
}

/** The series up to and including `asOf` (days since 1970-01-01); the whole series without it. */
export function cutAt(series: DailyColumns, asOf: number | undefined): DailyColumns {
  if (asOf === undefined) return series;
  let end = series.day.length;
  while (end > 0 && series.day[end - 1] > asOf) end--;
  return {
    day: series.day.subarray(0, end),
    price: series.price.subarray(0, end),
    volume: series.volume.subarray(0, end),
    marketCap: series.marketCap.subarray(0, end),
  };
}

export function usableRows(series: DailyColumns, items: readonly FeatureItem[]): UsableRows {
  const columns = computeFeatures(items, series);
  const n = series.day.length;
  const keep: number[] = [];
  for (let r = 0; r < n; r++) {
    let ok = true;
    for (let c = 0; ok && c < columns.length; c++) ok = Number.isFinite(columns[c][r]);
    if (ok) keep.push(r);
  }
  const seriesRow = Int32Array.from(keep);
  const pick = (column: Float64Array) => Float64Array.from(seriesRow, (r) => column[r]);
  return {
    day: Int32Array.from(seriesRow, (r) => series.day[r]),
    price: pick(series.price),
    features: columns.map(pick),
    seriesRow,
    seriesPrice: series.price,
  };
}

/** The price h series rows after each usable row (NaN past the end). */
export function priceAhead(rows: UsableRows, h: number): Float64Array {
  const { seriesRow, seriesPrice } = rows;
  return Float64Array.from(seriesRow, (r) => (r + h < seriesPrice.length ? seriesPrice[r + h] : NaN));
}

/** The label the model is fitted to at horizon h: the price ahead, or the return to it. */
export function horizonLabel(target: Target, price: Float64Array, ahead: Float64Array): Float64Array {
  if (target === 'price') return ahead;
  return Float64Array.from(ahead, (y, i) => y / price[i] - 1);
}
