/**
 * The bound on each value field of a daily row (docs/input.md), declared once for every reader:
 * the CSV's csv-parse path, its fast scan (and the scan's workers) and the Parquet input. A value must
 * also be a finite number (NUMBER_EXPECTED); that check belongs to each reader's number parsing.
 */
import type { NumericField } from './layouts.js';

export const VALUE_BOUNDS: Record<NumericField, { passes: (value: number) => boolean; text: string }> = {
  price: { passes: (value) => value > 0, text: '> 0' },
  volume: { passes: (value) => value >= 0, text: '>= 0' },
  marketCap: { passes: (value) => value >= 0, text: '>= 0' },
  open: { passes: (value) => value > 0, text: '> 0' },
  high: { passes: (value) => value > 0, text: '> 0' },
  low: { passes: (value) => value > 0, text: '> 0' },
};

/**
 * A row's open/high/low against its close (docs/input.md#open-high-and-low): `low ≤ min(open, close)`
 * and `max(open, close) ≤ high`. Null when they agree or a value is missing (NaN); else the column at
 * fault (low is checked first).
 */
export function checkOhlc(open: number, high: number, low: number, close: number): 'low' | 'high' | null {
  if (open !== open || high !== high || low !== low || close !== close) return null;
  if (!(low <= Math.min(open, close))) return 'low';
  if (!(Math.max(open, close) <= high)) return 'high';
  return null;
}

/** What an error says is expected of a value that is not a finite number (every reader words it so). */
export const NUMBER_EXPECTED = 'a finite decimal number';

/** What an error says is expected of a value outside its field's bound, e.g. "a price > 0". */
export function boundExpected(field: NumericField): string {
  return `${field === 'open' ? 'an' : 'a'} ${field} ${VALUE_BOUNDS[field].text}`;
}

/**
 * An asset name, as written in the asset column and trimmed (docs/input.md#panels): it becomes a folder
 * name (`asset=<name>`) that Spark, pyarrow, pandas and DuckDB read back unescaped, so nothing else.
 */
export const ASSET_NAME = /^[A-Za-z0-9._ -]+$/;
export const ASSET_NAME_EXPECTED = 'an asset name of letters, digits, dots, underscores, hyphens or spaces ([A-Za-z0-9._ -]+)';
