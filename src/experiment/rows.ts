/**
 * The rows every set is scored on (docs/experiment.md): date order after dedupe, keeping a row only
 * when next_price exists and every feature of every set is a finite number there (NaN marks ta's
 * warm-up nulls; ±inf is dropped as the reference job drops it). One common set of rows, so every set
 * and the baseline are compared on the same days.
 *
 * Each distinct feature item is computed once, however many sets use it (the ladder repeats the base
 * four in every rung).
 */
import { nextPrice } from '../engine/label.js';
import type { DailyColumns } from '../engine/types.js';
import { computeFeatures, formatFeatureItem } from '../engine/features/spec.js';
import type { FeatureSet } from './sets.js';

export interface CommonRows {
  /** Days of the kept rows, ascending. */
  day: Int32Array;
  price: Float64Array;
  nextPrice: Float64Array;
  /** Per set (in the given order), its feature columns on the kept rows, in spec order. */
  features: Float64Array[][];
  /** The feature item (normalised) with the fewest finite values, and how many dates it has them on. */
  scarcest: { item: string; dates: number; of: number } | null;
}

export function commonRows(series: DailyColumns, sets: readonly FeatureSet[]): CommonRows {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const items = [];
  for (const set of sets) {
    for (const item of set.items) {
      const key = formatFeatureItem(item);
      if (!index.has(key)) {
        index.set(key, keys.length);
        keys.push(key);
        items.push(item);
      }
    }
  }
  const columns = computeFeatures(items, series);
  const next = nextPrice(series.price);

  const n = series.day.length;
  let scarcest: CommonRows['scarcest'] = null;
  // A row is kept when next_price and every column are finite there: marked column by column.
  const finiteRow = new Uint8Array(n);
  for (let r = 0; r < n; r++) finiteRow[r] = Number.isFinite(next[r]) ? 1 : 0;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    let finite = 0;
    for (let r = 0; r < n; r++) {
      if (Number.isFinite(column[r])) finite++;
      else finiteRow[r] = 0;
    }
    if (scarcest === null || finite < scarcest.dates) scarcest = { item: keys[c], dates: finite, of: n };
  }
  // The kept rows' positions, then each column gathered at them.
  const keep = new Int32Array(n);
  let kept = 0;
  for (let r = 0; r < n; r++) if (finiteRow[r] === 1) keep[kept++] = r;
  const rows = keep.subarray(0, kept);
  const selected = columns.map((column) => gather(column, rows));
  const day = new Int32Array(kept);
  for (let o = 0; o < kept; o++) day[o] = series.day[rows[o]];
  return {
    day,
    price: gather(series.price, rows),
    nextPrice: gather(next, rows),
    features: sets.map((set) => set.items.map((item) => selected[index.get(formatFeatureItem(item))!])),
    scarcest,
  };
}

function gather(column: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let o = 0; o < rows.length; o++) out[o] = column[rows[o]];
  return out;
}
