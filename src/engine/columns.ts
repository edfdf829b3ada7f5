/**
 * Row selection over a table of equal-length typed-array columns. Kept generic so each stage can
 * filter the table it carries (labelled rows, train/test rows) without per-row objects.
 */
export type Column = Float64Array | Int32Array;
export type ColumnTable = { [name: string]: Column };

/** The number of rows of a table (all columns have the same length). */
export function rowCount<T extends { [K in keyof T]: Column }>(table: T): number {
  for (const key in table) return table[key].length;
  return 0;
}

/** The rows whose `keep[i]` equals `wanted`, every column, in order. */
export function selectRows<T extends { [K in keyof T]: Column }>(table: T, keep: Uint8Array, wanted = 1): T {
  let count = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] === wanted) count++;
  const out: ColumnTable = {};
  for (const key of Object.keys(table) as Array<keyof T & string>) {
    const source: Column = table[key];
    const target = new (source.constructor as { new (n: number): Column })(count);
    let j = 0;
    for (let i = 0; i < keep.length; i++) if (keep[i] === wanted) target[j++] = source[i];
    out[key] = target;
  }
  return out as T;
}
