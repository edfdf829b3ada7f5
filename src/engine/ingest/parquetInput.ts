/**
 * Parquet input (docs/input.md#layouts): `--input prices.parquet`, one file or a Spark-style folder (its
 * data files in name order; names starting with `_` or `.` are not data, as for Spark), with the same
 * columns as a CSV of any layout (layouts.ts). Read with the project's Parquet library (parquet-wasm into
 * Apache Arrow); the reference job reads the same file with `spark.read.parquet`.
 *
 * Types: the date column is a Parquet DATE or a string in one of dates.ts's forms; value columns are
 * numeric (double, float, integers, decimal). A null value cell is a missing value (missing.ts). "File
 * order" (which row of a repeated date is last) is the data files in name order, rows in order; the
 * sha256 is over those files' bytes, concatenated in that order. An error names the data file and the
 * 1-based row within it as its "line".
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DateDay, tableFromIPC, type Vector } from 'apache-arrow';
import { parquetWasm } from '../output/parquetWasm.js';
import { DailyColumnsBuilder } from '../columns.js';
import type { DailyIngest, MissingCellSource } from './csv.js';
import { dateExpected, FIRST_GREGORIAN_DAY, parseDailyDate } from './dates.js';
import { InputError } from '../errors.js';
import { resolveLayout, VALUE_FIELDS, type LayoutOptions, type ValueField } from './layouts.js';
import { boundExpected, NUMBER_EXPECTED, VALUE_BOUNDS } from './valueRules.js';

export const PARQUET_MAGIC = 'PAR1';

/** The data files of a Parquet input: the file itself, or a folder's non-hidden files in name order. */
export async function parquetDataFiles(input: string): Promise<string[]> {
  if (!(await stat(input)).isDirectory()) return [input];
  const names = (await readdir(input)).filter((name) => !name.startsWith('_') && !name.startsWith('.')).sort();
  const files: string[] = [];
  for (const name of names) if ((await stat(join(input, name))).isFile()) files.push(join(input, name));
  if (files.length === 0) {
    throw new InputError(input, 0, null, null, 'a CSV file, or a Parquet folder with data files; this folder has none');
  }
  return files;
}

export async function readDailyParquet(input: string, options: LayoutOptions = {}): Promise<DailyIngest> {
  const files = await parquetDataFiles(input);
  const hash = createHash('sha256');
  const columns = new DailyColumnsBuilder();
  const missingCells = new Map<number, MissingCellSource>();
  const required = new Set<string>(['price', ...(options.required ?? VALUE_FIELDS)]);
  let layoutName = '';
  let fields: ValueField[] = [];
  const columnNames: Partial<Record<ValueField, string>> = {};
  for (const file of files) {
    const bytes = await readFile(file);
    hash.update(bytes);
    if (bytes.subarray(0, 4).toString('latin1') !== PARQUET_MAGIC) {
      if (file === input) throw new InputError(file, 0, null, null, 'a Parquet data file (it does not start with PAR1)');
      throw new InputError(
        input,
        0,
        null,
        null,
        `a CSV file, or a folder of Parquet data files; this is a folder, and its ${basename(file)} is not Parquet`,
      );
    }
    let table;
    try {
      table = tableFromIPC(parquetWasm().readParquet(bytes).intoIPCStream());
    } catch (error) {
      throw new InputError(file, 0, null, null, `a Parquet file that can be read (${String((error as Error).message ?? error).split('\n')[0]})`);
    }
    const names = table.schema.fields.map((f) => f.name);
    const layout = resolveLayout(file, names, options);
    layoutName = `parquet (${layout.name})`;
    // Parquet input reads the four-column series; open/high/low and the asset are CSV-only for now.
    const date = table.getChild(layout.columns.date!)!;
    const values = VALUE_FIELDS.map((field) => {
      const name = layout.columns[field];
      return name === null ? null : table.getChild(name);
    });
    fields = VALUE_FIELDS.filter((_f, k) => values[k] !== null);
    for (const field of fields) columnNames[field] = layout.columns[field]!;
    const isDate = DateDay.isDate(date.type);
    if (!isDate && typeof date.type.typeId === 'number' && String(date.type) !== 'Utf8' && String(date.type) !== 'LargeUtf8') {
      throw new InputError(file, 0, layout.columns.date, null, `a date column of Parquet type DATE or a string; it is ${String(date.type)}`);
    }
    values.forEach((vector, k) => {
      if (vector !== null && !isNumeric(vector)) {
        throw new InputError(file, 0, layout.columns[VALUE_FIELDS[k]], null, `a numeric column; it is ${String(vector.type)}`);
      }
    });
    const row = [NaN, NaN, NaN];
    for (let i = 0; i < table.numRows; i++) {
      const line = i + 1;
      const raw = date.get(i) as unknown;
      let day: number;
      if (raw === null || raw === undefined) day = NaN;
      else if (isDate) day = Math.round(Number(raw instanceof Date ? raw.getTime() : raw) / 86_400_000);
      else day = parseDailyDate(String(raw));
      if (!(day >= FIRST_GREGORIAN_DAY)) {
        const text = raw === null || raw === undefined ? '' : isDate ? String(raw) : String(raw);
        throw new InputError(file, line, layout.columns.date, text, dateExpected(text));
      }
      let missing: MissingCellSource | null = null;
      for (let k = 0; k < 3; k++) {
        row[k] = NaN;
        const vector = values[k];
        if (vector === null) continue;
        const cell = vector.get(i) as unknown;
        const field = VALUE_FIELDS[k];
        if (cell === null || cell === undefined) {
          if (required.has(field)) (missing ??= { line, text: {} }).text[field] = '';
          continue;
        }
        const value = Number(cell);
        const ok = Number.isFinite(value) && VALUE_BOUNDS[field].passes(value);
        if (!ok) {
          const expected = !Number.isFinite(value) ? NUMBER_EXPECTED : boundExpected(field);
          throw new InputError(file, line, layout.columns[field], String(cell), expected);
        }
        row[k] = value;
      }
      if (missing !== null) missingCells.set(columns.length, missing);
      columns.push(day, row[0], row[1], row[2]);
    }
  }
  if (columns.length === 0) throw new InputError(input, 0, null, null, 'data rows; the Parquet input has none');
  return {
    file: input,
    columns: columns.finish(),
    rowsRead: columns.length,
    sha256: hash.digest('hex'),
    layout: layoutName,
    missingCells,
    fields,
    columnNames,
  };
}

function isNumeric(vector: Vector): boolean {
  return /^(Float|Int|Uint|Decimal)/.test(String(vector.type)) || /^(Float|Int|Uint|Decimal)/.test(vector.type.constructor.name);
}
