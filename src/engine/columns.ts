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
 * as a keep mask (1 = keep) or the split's roles (`selectRows(table, split.role, ROLE_TRAIN)`).
 */
export function selectRows<T extends { [K in keyof T]: Column }>(table: T, labels: Uint8Array, wanted = 1): T {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === wanted) count++;
  const out: ColumnTable = {};
  for (const key of Object.keys(table) as Array<keyof T & string>) {
    const source: Column = table[key];
    const target = new (source.constructor as { new (n: number): Column })(count);
    let j = 0;
    for (let i = 0; i < labels.length; i++) if (labels[i] === wanted) target[j++] = source[i];
    out[key] = target;
  }
  return out as T;
}

/** The four input columns, built row by row (CSV ingest): buffers that double when full; `finish` trims them to the rows read. */
export class DailyColumnsBuilder {
  length = 0;
  day = new Int32Array(INITIAL_CAPACITY);
  price = new Float64Array(INITIAL_CAPACITY);
  volume = new Float64Array(INITIAL_CAPACITY);
  marketCap = new Float64Array(INITIAL_CAPACITY);

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
