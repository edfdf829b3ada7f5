/**
 * Row selection over a table of equal-length typed-array columns. Kept generic so each stage can
 * filter the table it carries (labelled rows, train/test rows) without per-row objects.
 */
import type { DailyColumns } from './types.js';

const INITIAL_CAPACITY = 1 << 16;

export type Column = Float64Array | Int32Array;
export type ColumnTable = { [name: string]: Column };

/** The number of rows of a table (all columns have the same length). */
export function rowCount<T extends { [K in keyof T]: Column }>(table: T): number {
  for (const key in table) return table[key].length;
  return 0;
}

/**
 * The rows whose `labels[i]` equals `wanted`, every column, in order: `labels` is a per-row byte such
 * as a keep mask (1 = keep) or a split's roles. When those rows are one contiguous run (the clean-up's
 * usual case: only the warm-up rows and the last row dropped; a time split) the columns are views of
 * the table's, not copies: no stage writes into a table it was given.
 */
export function selectRows<T extends { [K in keyof T]: Column }>(table: T, labels: Uint8Array, wanted = 1): T {
  return gatherRows(table, rowsLabelled(labels, wanted));
}

/**
 * The rows labelled `first` and those labelled `second` (a split's train and test), each as selectRows
 * gives them, with one pass over the labels for both.
 */
export function partitionRows<T extends { [K in keyof T]: Column }>(table: T, labels: Uint8Array, first: number, second: number): [T, T] {
  const n = labels.length;
  const firstRows = new Int32Array(n);
  const secondRows = new Int32Array(n);
  let a = 0;
  let b = 0;
  // Branch-free: each row is written to both lists and kept by the one whose count moves on (a random
  // split's roles would make a branch a coin toss).
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    firstRows[a] = i;
    secondRows[b] = i;
    a += +(label === first);
    b += +(label === second);
  }
  return [gatherRows(table, firstRows.subarray(0, a)), gatherRows(table, secondRows.subarray(0, b))];
}

/** The positions (ascending) whose label equals `wanted`. */
function rowsLabelled(labels: Uint8Array, wanted: number): Int32Array {
  const n = labels.length;
  const rows = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    rows[count] = i;
    count += +(labels[i] === wanted);
  }
  return rows.subarray(0, count);
}

/** The table's rows at ascending positions `rows`: views when they are one run, else gathered copies. */
function gatherRows<T extends { [K in keyof T]: Column }>(table: T, rows: Int32Array): T {
  const count = rows.length;
  const contiguous = count === 0 || rows[count - 1] - rows[0] === count - 1;
  const out: ColumnTable = {};
  for (const key of Object.keys(table) as Array<keyof T & string>) {
    const source: Column = table[key];
    if (contiguous) out[key] = source.subarray(count === 0 ? 0 : rows[0], count === 0 ? 0 : rows[0] + count);
    else out[key] = source instanceof Float64Array ? gatherFloat64(source, rows) : gatherInt32(source, rows);
  }
  return out as T;
}

// One loop per element type: a single loop over both would be polymorphic, and several times slower.
function gatherFloat64(source: Float64Array, rows: Int32Array): Float64Array {
  const target = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) target[k] = source[rows[k]];
  return target;
}

function gatherInt32(source: Int32Array, rows: Int32Array): Int32Array {
  const target = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) target[k] = source[rows[k]];
  return target;
}

/** The four input columns, built row by row (CSV ingest): buffers that double when full; `finish` trims them to the rows read. */
export class DailyColumnsBuilder {
  length = 0;
  day: Int32Array;
  price: Float64Array;
  volume: Float64Array;
  marketCap: Float64Array;

  /** `capacity`: the rows expected, when known (a scan worker's range), so that nothing is copied to grow. */
  constructor(capacity = INITIAL_CAPACITY) {
    this.day = new Int32Array(capacity);
    this.price = new Float64Array(capacity);
    this.volume = new Float64Array(capacity);
    this.marketCap = new Float64Array(capacity);
  }

  push(day: number, price: number, volume: number, marketCap: number): void {
    if (this.length === this.day.length) this.grow();
    const i = this.length++;
    this.day[i] = day;
    this.price[i] = price;
    this.volume[i] = volume;
    this.marketCap[i] = marketCap;
  }

  /** Make room for at least `capacity` rows in all (a size hint: avoids doubling copies on big files). */
  reserve(capacity: number): void {
    if (capacity > this.day.length) this.resize(capacity);
  }

  private grow(): void {
    this.resize(this.day.length * 2);
  }

  private resize(capacity: number): void {
    const day = new Int32Array(capacity);
    day.set(this.day);
    this.day = day;
    for (const name of ['price', 'volume', 'marketCap'] as const) {
      const next = new Float64Array(capacity);
      next.set(this[name]);
      this[name] = next;
    }
  }

  finish(): DailyColumns {
    const n = this.length;
    if (n >= this.day.length * 0.9) {
      // Nearly full (a good size hint): views, rather than copies of up to hundreds of MB.
      return {
        day: this.day.subarray(0, n),
        price: this.price.subarray(0, n),
        volume: this.volume.subarray(0, n),
        marketCap: this.marketCap.subarray(0, n),
      };
    }
    return {
      day: this.day.slice(0, n),
      price: this.price.slice(0, n),
      volume: this.volume.slice(0, n),
      marketCap: this.marketCap.slice(0, n),
    };
  }
}
