import { selectRows } from './columns.js';
import type { LabelledColumns } from './types.js';

/**
 * Drop every row with a null (NaN) in any column: the RSI warm-up rows and the last row, whose
 * next price is unknown. Spark's `dropna()` drops both null and NaN, so NaN is the engine's null.
 */
export function dropNulls(table: LabelledColumns): LabelledColumns {
  const n = table.price.length;
  const keep = new Uint8Array(n);
  const { price, volume, marketCap, rsi, nextPrice } = table;
  for (let i = 0; i < n; i++) {
    // x === x is false only for NaN.
    keep[i] =
      price[i] === price[i] &&
      volume[i] === volume[i] &&
      marketCap[i] === marketCap[i] &&
      rsi[i] === rsi[i] &&
      nextPrice[i] === nextPrice[i]
        ? 1
        : 0;
  }
  return selectRows(table, keep);
}
