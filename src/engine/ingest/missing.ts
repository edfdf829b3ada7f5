/**
 * Missing values (docs/input.md#missing-values): an empty, `-` or `null` cell of a field the run needs, handled by
 * `--missing`, after sort and dedupe (so a row a later duplicate replaces never counts, and "previous"
 * means the previous DATE):
 *
 *   error     (default) bad input, naming the first such cell in date order and the flag
 *   previous  the column's last value in date order; a missing first value is bad input
 *   zero      0 (not for price, which must be > 0)
 *   drop      the whole day is removed
 *
 * The same rules are `fill_missing` in pyspark/price_regression.py.
 */
import type { DailyIngest } from './csv.js';
import type { DedupedDaily } from './days.js';
import { InputError } from '../errors.js';
import { NUMERIC_FIELDS, type NumericField, type ValueField } from './layouts.js';
import type { DailyColumns, MissingPolicy, MissingReport } from '../types.js';

const MISSING_EXPECTED =
  'a value; an empty, "-" or "null" cell is a missing value, refused by default: --missing previous, zero or drop fills or drops it';

/**
 * The deduplicated rows with the missing cells of the fields in `ingest.missingCells` handled per
 * `policy`. Rows without a missing cell are untouched; with no missing cell at all, the input is returned.
 * @throws InputError (the cell's line and column) for `error`, and for what `previous`/`zero` cannot fill.
 */
export function fillMissing(
  deduped: DedupedDaily,
  ingest: Pick<DailyIngest, 'file' | 'missingCells'>,
  policy: MissingPolicy = 'error',
  columnNames: Partial<Record<NumericField, string>> = {},
): { deduped: DedupedDaily; missing: MissingReport } {
  const cells: MissingReport['cells'] = { price: 0, volume: 0, marketCap: 0 };
  const counts = cells as Partial<Record<NumericField, number>>;
  const report = (rowsDropped: number): MissingReport => ({ policy, cells, rowsDropped });
  if (ingest.missingCells.size === 0) return { deduped, missing: report(0) };

  const { fileRows } = deduped;
  const n = fileRows.length;
  /** Kept rows (date order) that have a missing cell, in date order. */
  const rowsWithMissing: number[] = [];
  for (let k = 0; k < n; k++) if (ingest.missingCells.has(fileRows[k])) rowsWithMissing.push(k);
  if (rowsWithMissing.length === 0) return { deduped, missing: report(0) };

  const fail = (k: number, field: NumericField, expected: string): never => {
    const source = ingest.missingCells.get(fileRows[k])!;
    throw new InputError(ingest.file, source.line, columnNames[field] ?? field, source.text[field] ?? '', expected);
  };
  const missingFields = (k: number): NumericField[] =>
    NUMERIC_FIELDS.filter((field) => ingest.missingCells.get(fileRows[k])!.text[field] !== undefined);

  if (policy === 'error') {
    const k = rowsWithMissing[0];
    fail(k, missingFields(k)[0], MISSING_EXPECTED);
  }
  for (const k of rowsWithMissing) for (const field of missingFields(k)) counts[field] = (counts[field] ?? 0) + 1;

  if (policy === 'drop') {
    const keep = new Uint8Array(n).fill(1);
    for (const k of rowsWithMissing) keep[k] = 0;
    const kept = n - rowsWithMissing.length;
    const order = new Int32Array(kept);
    for (let k = 0, j = 0; k < n; k++) if (keep[k] === 1) order[j++] = k;
    const pick = <A extends Int32Array | Float64Array>(source: A): A => {
      const out = new (source.constructor as new (m: number) => A)(kept);
      for (let j = 0; j < kept; j++) out[j] = source[order[j]];
      return out;
    };
    const columns: DailyColumns = {
      day: pick(deduped.columns.day),
      price: pick(deduped.columns.price),
      volume: pick(deduped.columns.volume),
      marketCap: pick(deduped.columns.marketCap),
    };
    for (const field of ['open', 'high', 'low'] as const) {
      const source = deduped.columns[field];
      if (source !== undefined) columns[field] = pick(source);
    }
    const fileRowsKept = pick(fileRows);
    return { deduped: { columns, collapsedDays: deduped.collapsedDays, fileRows: fileRowsKept }, missing: report(rowsWithMissing.length) };
  }

  const columns: DailyColumns = {
    day: deduped.columns.day,
    price: deduped.columns.price.slice(),
    volume: deduped.columns.volume.slice(),
    marketCap: deduped.columns.marketCap.slice(),
  };
  for (const field of ['open', 'high', 'low'] as const) {
    const source = deduped.columns[field];
    if (source !== undefined) columns[field] = source.slice();
  }
  if (policy === 'zero') {
    for (const k of rowsWithMissing) {
      for (const field of missingFields(k)) {
        if (field === 'price') fail(k, field, 'a value; --missing zero cannot fill a price (a price must be > 0): use previous or drop');
        if (field !== 'volume' && field !== 'marketCap') {
          fail(k, field, `a value; --missing zero cannot fill ${field === 'open' ? 'an' : 'a'} ${field} (it must be > 0): use previous or drop`);
        } else columns[field][k] = 0;
      }
    }
  } else {
    // previous: a walk in date order carries each field's last value (a filled value counts as one).
    for (const field of NUMERIC_FIELDS) {
      const column = columns[field];
      if (column === undefined) continue;
      const missingAt = new Set(rowsWithMissing.filter((k) => ingest.missingCells.get(fileRows[k])!.text[field] !== undefined));
      if (missingAt.size === 0) continue;
      for (let k = 0; k < n; k++) {
        if (!missingAt.has(k)) continue;
        if (k === 0) fail(k, field, `a value; --missing previous has no earlier ${field} to carry forward (it is the first date)`);
        column[k] = column[k - 1];
      }
    }
  }
  return { deduped: { ...deduped, columns }, missing: report(0) };
}
