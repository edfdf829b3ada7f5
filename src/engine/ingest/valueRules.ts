/**
 * The bound on each value field of a daily row (docs/input.md), declared once for every reader:
 * the CSV's csv-parse path, its fast scan (and the scan's workers) and the Parquet input. A value must
 * also be a finite number (NUMBER_EXPECTED); that check belongs to each reader's number parsing.
 */
import type { ValueField } from './layouts.js';

export const VALUE_BOUNDS: Record<ValueField, { passes: (value: number) => boolean; text: string }> = {
  price: { passes: (value) => value > 0, text: '> 0' },
  volume: { passes: (value) => value >= 0, text: '>= 0' },
  marketCap: { passes: (value) => value >= 0, text: '>= 0' },
};

/** What an error says is expected of a value that is not a finite number (every reader words it so). */
export const NUMBER_EXPECTED = 'a finite decimal number';

/** What an error says is expected of a value outside its field's bound, e.g. "a price > 0". */
export function boundExpected(field: ValueField): string {
  return `a ${field} ${VALUE_BOUNDS[field].text}`;
}
