import { selectRows } from './columns.js';
import type { LabelledColumns } from './types.js';

/**
 * Drop every row where a feature or the next price is null, NaN or ±inf (docs/label-and-clean.md#clean-up):
 * the warm-up rows of the indicators, rows where an indicator divides by zero (e.g. a zero Bollinger
 * band width), and the last row, whose next price is unknown. NaN is the engine's null; Spark's
 * `dropna()` drops null and NaN, and the reference job drops ±inf explicitly.
 */
export function dropNulls(table: LabelledColumns): LabelledColumns {
  return selectRows(table, definedRows(table));
}

/** 1 for each row whose every column except `day` is a finite number, else 0. */
export function definedRows(table: LabelledColumns): Uint8Array {
  const n = table.day.length;
  const keep = new Uint8Array(n).fill(1);
  for (const name of Object.keys(table)) {
    if (name === 'day') continue;
    const column = table[name];
    for (let i = 0; i < n; i++) {
      // x - x is 0 for a finite x and NaN for NaN and ±inf.
      const x = column[i];
      if (x - x !== 0) keep[i] = 0;
    }
  }
  return keep;
}
