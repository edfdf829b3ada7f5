/**
 * Sort + dedupe (docs/input.md#sorting-and-duplicates): ascending by day; a day that appears more
 * than once keeps the row with the LATEST timestamp, equal timestamps (a date-only file) the LAST row in
 * file order (vendors append a partial-day snapshot), and the collapsed days are reported with the
 * reason: a repeated date (every row of the day at the same time) or several snapshots in a day.
 *
 * Counting, not comparison sorting: a table indexed by day holds the file position of the last row
 * seen for that day, and a walk over the table in day order emits the kept rows. That is O(rows + day
 * range) with no comparator calls, and "last row wins" falls out of overwriting. Every date a CSV can
 * hold (0000-01-01 … 9999-12-31) spans 3.65M days, a 15 MB table at most; for wider synthetic ranges
 * a stable index sort is used instead.
 */
import type { DailyColumns, SortedDaily } from '../types.js';

/** Sorted, de-duplicated rows, plus where each came from (missing.ts names a row's line from it). */
export interface DedupedDaily extends SortedDaily {
  /** The file position (0-based data row) of each kept row. */
  fileRows: Int32Array;
  /** Of the collapsed days, how many had rows at different times (several snapshots in a day). */
  collapsedSnapshots?: number;
}

/** Above this day range (relative to the row count) the counting table is not worth its memory. */
const MAX_COUNTING_RANGE = 4_000_000;

/**
 * @param seconds each row's time (seconds since 1970-01-01 UTC); absent: every row at the start of its
 *   day, so file order alone decides.
 */
export function sortAndDedupe(columns: DailyColumns, seconds?: Float64Array): DedupedDaily {
  const { day } = columns;
  const n = day.length;
  if (n === 0) return { columns: copyRows(columns, new Int32Array(0)), collapsedDays: new Int32Array(0), fileRows: new Int32Array(0) };
  if (seconds !== undefined) return dedupeByTime(columns, seconds);
  const inOrder = dedupeInOrder(columns);
  if (inOrder !== null) return inOrder;

  let min = day[0];
  let max = day[0];
  for (let i = 1; i < n; i++) {
    const d = day[i];
    if (d < min) min = d;
    else if (d > max) max = d;
  }
  const range = max - min + 1;
  return range <= Math.max(MAX_COUNTING_RANGE, 4 * n)
    ? dedupeByCounting(columns, min, range)
    : dedupeBySorting(columns);
}

/**
 * A file already in date order (the usual vendor file: ascending, perhaps a repeated date next to
 * itself): each run of equal days keeps its last row, found in one pass; null when a day goes back.
 * The result is dedupeByCounting's for such a file.
 */
function dedupeInOrder(columns: DailyColumns): DedupedDaily | null {
  const { day } = columns;
  const n = day.length;
  let dropped = 0;
  let collapsed = 0;
  for (let i = 1; i < n; i++) {
    const step = day[i] - day[i - 1];
    if (step < 0) return null;
    if (step === 0) {
      dropped++;
      if (i === 1 || day[i - 1] !== day[i - 2]) collapsed++;
    }
  }
  const order = new Int32Array(n - dropped);
  const collapsedDays = new Int32Array(collapsed);
  for (let i = 0, k = 0, c = 0; i < n; i++) {
    if (i === n - 1 || day[i + 1] !== day[i]) order[k++] = i;
    else if (i === 0 || day[i - 1] !== day[i]) collapsedDays[c++] = day[i];
  }
  return { columns: copyRows(columns, order), collapsedDays, fileRows: order };
}

function dedupeByCounting(columns: DailyColumns, min: number, range: number): DedupedDaily {
  const { day } = columns;
  const n = day.length;
  // lastRow[d - min] = 1 + the file position of the last row with day d (0 = no row).
  const lastRow = new Int32Array(range);
  const repeated = new Uint8Array(range);
  for (let i = 0; i < n; i++) {
    const slot = day[i] - min;
    if (lastRow[slot] !== 0) repeated[slot] = 1;
    lastRow[slot] = i + 1;
  }
  let kept = 0;
  let collapsed = 0;
  for (let slot = 0; slot < range; slot++) {
    if (lastRow[slot] !== 0) kept++;
    collapsed += repeated[slot];
  }
  const order = new Int32Array(kept);
  const collapsedDays = new Int32Array(collapsed);
  for (let slot = 0, k = 0, c = 0; slot < range; slot++) {
    if (lastRow[slot] !== 0) order[k++] = lastRow[slot] - 1;
    if (repeated[slot] === 1) collapsedDays[c++] = slot + min;
  }
  return { columns: copyRows(columns, order), collapsedDays, fileRows: order };
}

/** Fallback for sparse, very wide day ranges: sort positions by (day, position), keep each day's last. */
function dedupeBySorting(columns: DailyColumns): DedupedDaily {
  const { day } = columns;
  const n = day.length;
  const byDay = new Int32Array(n);
  for (let i = 0; i < n; i++) byDay[i] = i;
  byDay.sort((a, b) => day[a] - day[b] || a - b);
  const order: number[] = [];
  const collapsedDays: number[] = [];
  for (let k = 0; k < n; k++) {
    const d = day[byDay[k]];
    const isLastOfDay = k === n - 1 || day[byDay[k + 1]] !== d;
    if (isLastOfDay) order.push(byDay[k]);
    else if (collapsedDays[collapsedDays.length - 1] !== d) collapsedDays.push(d);
  }
  const fileRows = Int32Array.from(order);
  return { columns: copyRows(columns, fileRows), collapsedDays: Int32Array.from(collapsedDays), fileRows };
}

/**
 * Rows with times: positions sorted by (day, time, position); each day keeps its last, i.e. the latest
 * time, equal times the last in file order. A day whose rows have different times counts as snapshots.
 */
function dedupeByTime(columns: DailyColumns, seconds: Float64Array): DedupedDaily {
  const { day } = columns;
  const n = day.length;
  const byTime = new Int32Array(n);
  for (let i = 0; i < n; i++) byTime[i] = i;
  byTime.sort((a, b) => day[a] - day[b] || seconds[a] - seconds[b] || a - b);
  const order: number[] = [];
  const collapsedDays: number[] = [];
  let collapsedSnapshots = 0;
  let firstOfDay = 0;
  for (let k = 0; k < n; k++) {
    const d = day[byTime[k]];
    if (k > 0 && day[byTime[k - 1]] !== d) firstOfDay = k;
    const isLastOfDay = k === n - 1 || day[byTime[k + 1]] !== d;
    if (!isLastOfDay) continue;
    order.push(byTime[k]);
    if (k > firstOfDay) {
      collapsedDays.push(d);
      if (seconds[byTime[k]] !== seconds[byTime[firstOfDay]]) collapsedSnapshots++;
    }
  }
  const fileRows = Int32Array.from(order);
  return { columns: copyRows(columns, fileRows), collapsedDays: Int32Array.from(collapsedDays), fileRows, collapsedSnapshots };
}

/** The rows at `order`, every column, as new arrays (the input is never modified). */
export function copyRows(columns: DailyColumns, order: Int32Array): DailyColumns {
  const runs = runStarts(order);
  const copied: DailyColumns = {
    day: copyInt32(columns.day, order, runs),
    price: copyFloat64(columns.price, order, runs),
    volume: copyFloat64(columns.volume, order, runs),
    marketCap: copyFloat64(columns.marketCap, order, runs),
  };
  for (const field of ['open', 'high', 'low'] as const) {
    const source = columns[field];
    if (source !== undefined) copied[field] = copyFloat64(source, order, runs);
  }
  return copied;
}

/** Runs of consecutive positions are worth one `set` (a memory copy) each when they average this long. */
const MIN_MEAN_RUN = 16;

/**
 * Where each run of consecutive positions in `order` starts (and order.length last), or null when the
 * runs are too short to copy run by run. A file in date order is one or two runs.
 */
function runStarts(order: Int32Array): Int32Array | null {
  const m = order.length;
  let breaks = 0;
  for (let k = 1; k < m; k++) if (order[k] !== order[k - 1] + 1) breaks++;
  if (m === 0 || (breaks + 1) * MIN_MEAN_RUN > m) return null;
  const starts = new Int32Array(breaks + 2);
  for (let k = 1, r = 1; k < m; k++) if (order[k] !== order[k - 1] + 1) starts[r++] = k;
  starts[breaks + 1] = m;
  return starts;
}

// One function per element type, so each loop stays monomorphic.
function copyFloat64(source: Float64Array, order: Int32Array, runs: Int32Array | null): Float64Array {
  const target = new Float64Array(order.length);
  if (runs === null) for (let k = 0; k < order.length; k++) target[k] = source[order[k]];
  else for (let r = 0; r + 1 < runs.length; r++) target.set(source.subarray(order[runs[r]], order[runs[r]] + runs[r + 1] - runs[r]), runs[r]);
  return target;
}

function copyInt32(source: Int32Array, order: Int32Array, runs: Int32Array | null): Int32Array {
  const target = new Int32Array(order.length);
  if (runs === null) for (let k = 0; k < order.length; k++) target[k] = source[order[k]];
  else for (let r = 0; r + 1 < runs.length; r++) target.set(source.subarray(order[runs[r]], order[runs[r]] + runs[r + 1] - runs[r]), runs[r]);
  return target;
}
