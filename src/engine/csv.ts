/**
 * CSV ingest (SPEC.md section 1): the file's rows, in file order, as typed-array columns, plus the
 * sha256 of its bytes, in one streaming pass.
 *
 *   createReadStream → [sha256, NUL/UTF-8 check] → csv-parse (arrays, RFC 4180, BOM) → sink: validate
 *   the four required fields and append them to growable typed arrays
 *
 * A file that is plainly valid (no quotes, no stray CR, every row valid) is first read by the
 * hand-written scanner in csvscan.ts, ~10× faster; it gives up on anything else, and then this
 * csv-parse path reads the file and decides (and words) every error.
 *
 * Each record (an array of strings, csv-parse's cheapest form) is validated and copied into the columns
 * as it arrives and then dropped: memory is the four columns (20 bytes a row) plus a read chunk.
 *
 * Anything that is not a valid input becomes an `InputError`: one line naming the file, the 1-based
 * line (header = line 1; for a record with a quoted line break, the line it starts on), the column
 * and the offending value.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { DailyColumnsBuilder } from './columns.js';
import { scanPlainCsv } from './csvscan.js';
import { parseDay } from './dates.js';
import { InputError } from './errors.js';
import type { IngestResult } from './types.js';

/** The required columns, found by header name in any order. */
export const REQUIRED_COLUMNS = ['date', 'price', 'volume', 'marketCap'] as const;

/**
 * Plain decimals and exponent forms: `1.5`, `-0`, `3e-05`, `+2`, `.5`, `2.`. Checked before `Number()`,
 * which alone would also accept `''` (as 0), `' 1 '`, `0x1A`, `0b11` and `Infinity`.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const NUMBER_EXPECTED = 'a finite decimal number';
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Reads a daily CSV (header `date,price,volume,marketCap` in any order, other columns ignored).
 * Rows come back in file order; sorting and dedupe are the next stage's job.
 * @throws InputError for anything SPEC.md section 1 calls bad input.
 */
export async function readDailyCsv(file: string): Promise<IngestResult> {
  // The common, plainly valid file takes the hand-written scanner (csvscan.ts: csv-parse alone
  // managed ~0.24M rows/s); anything else, every error included, is read (again) below.
  const scanned = await scanPlainCsv(file);
  if (scanned !== null) return scanned;
  return readDailyCsvWithCsvParse(file);
}

/** The general path: csv-parse, with the validation and the error messages of SPEC.md section 1. */
export async function readDailyCsvWithCsvParse(file: string): Promise<IngestResult> {
  const hash = createHash('sha256');
  const columns = new DailyColumnsBuilder();
  let header: string[] | null = null;
  let dateAt = -1;
  let priceAt = -1;
  let volumeAt = -1;
  let marketCapAt = -1;
  /** Fields that are not required: the only ones that may (validly) hold a quoted line break. */
  let otherAt: number[] = [];
  /**
   * The line the next record starts on. csv-parse's own line count comes only with a per-record
   * info object that costs more than the parse itself, so lines are counted here: one per record,
   * plus the line breaks inside its quoted fields, plus blank lines.
   */
  let nextLine = 1;

  const number = (text: string, line: number, column: string): number => {
    const value = DECIMAL.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value)) throw new InputError(file, line, column, text, NUMBER_EXPECTED);
    return value;
  };

  const readHeader = (record: string[]): void => {
    const seen = new Set<string>();
    for (const name of record) {
      if (seen.has(name)) {
        throw new InputError(file, 1, name, name, 'a header whose column names are all different; this name appears twice');
      }
      seen.add(name);
    }
    const missing = REQUIRED_COLUMNS.filter((name) => !seen.has(name));
    if (missing.length > 0) {
      throw new InputError(
        file,
        1,
        missing.join(', '),
        record.join(','),
        `a header with the columns ${REQUIRED_COLUMNS.join(', ')} (any order); missing ${missing.join(', ')}`,
      );
    }
    header = record;
    dateAt = record.indexOf('date');
    priceAt = record.indexOf('price');
    volumeAt = record.indexOf('volume');
    marketCapAt = record.indexOf('marketCap');
    const required = new Set([dateAt, priceAt, volumeAt, marketCapAt]);
    otherAt = record.map((_name, i) => i).filter((i) => !required.has(i));
  };

  const readRow = (record: string[], line: number): void => {
    if (record.length !== header!.length) {
      throw new InputError(
        file,
        line,
        null,
        record.join(','),
        `${header!.length} fields as in the header, found ${record.length}`,
      );
    }
    const dateText = record[dateAt];
    const day = parseDay(dateText);
    if (Number.isNaN(day)) throw new InputError(file, line, 'date', dateText, 'a date YYYY-MM-DD that exists');
    const price = number(record[priceAt], line, 'price');
    if (!(price > 0)) throw new InputError(file, line, 'price', record[priceAt], 'a price > 0');
    const volume = number(record[volumeAt], line, 'volume');
    if (volume < 0) throw new InputError(file, line, 'volume', record[volumeAt], 'a volume >= 0');
    const marketCap = number(record[marketCapAt], line, 'marketCap');
    if (marketCap < 0) throw new InputError(file, line, 'marketCap', record[marketCapAt], 'a marketCap >= 0');
    columns.push(day, price, volume, marketCap);
  };

  const parser = parse({
    bom: true,
    // Arrays, not objects: the header is located by name once, then fields by index.
    columns: false,
    // Field counts are checked in readRow, with a message that names the line and the counts.
    relax_column_count: true,
    // Blank lines come through as [''] so that they are counted; readRecord skips them.
    skip_empty_lines: false,
  });

  const readRecord = (record: string[]): void => {
    const line = nextLine;
    if (record.length === 1 && record[0] === '') {
      // A blank line. Spark's CSV reader skips blank lines; so do we (a trailing one is common).
      nextLine++;
      return;
    }
    if (header === null) {
      nextLine += 1 + lineBreaks(record);
      readHeader(record);
      return;
    }
    // Validated fields cannot hold a line break, so the other fields are the only ones to count.
    let breaks = 0;
    for (let k = 0; k < otherAt.length; k++) {
      const field = record[otherAt[k]];
      if (field !== undefined && field.indexOf('\n') !== -1) breaks += lineBreaks([field]);
    }
    nextLine += 1 + breaks;
    readRow(record, line);
  };

  let bytesBefore = 0;
  // Holds back the bytes of a multi-byte character cut by a chunk boundary until the next chunk.
  let pendingTail: Buffer = Buffer.alloc(0);
  async function* checkAndHash(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      const nul = chunk.indexOf(0);
      if (nul !== -1) await throwNotText(file, bytesBefore + nul, 'a NUL byte');
      const joined = pendingTail.length > 0 ? Buffer.concat([pendingTail, chunk]) : chunk;
      const cut = completeCharacters(joined);
      if (!isUtf8(joined.subarray(0, cut))) {
        await throwNotText(file, bytesBefore - pendingTail.length + firstInvalidUtf8(joined, cut), 'bytes that are not UTF-8');
      }
      pendingTail = Buffer.from(joined.subarray(cut));
      bytesBefore += chunk.length;
      yield chunk;
    }
    if (pendingTail.length > 0) await throwNotText(file, bytesBefore - pendingTail.length, 'a truncated UTF-8 character at the end');
  }

  try {
    await pipeline(
      createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
      checkAndHash,
      parser,
      new Writable({
        objectMode: true,
        write(record: string[], _encoding, done) {
          try {
            readRecord(record);
            done();
          } catch (error) {
            done(error as Error);
          }
        },
      }),
    );
  } catch (error) {
    throw toInputError(error, file, header, nextLine);
  }

  if (header === null) throw new InputError(file, 0, null, null, 'a CSV with a header row and data rows; the file is empty');
  if (columns.length === 0) {
    throw new InputError(file, 0, null, null, 'data rows after the header; the file has only a header');
  }
  return { file, columns: columns.finish(), rowsRead: columns.length, sha256: hash.digest('hex') };
}

/** What each csv-parse error means for the user, as InputError's "expected …" text. */
const CSV_ERROR_EXPECTED: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'every quoted field to be closed; a quote opened in the record starting here is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'a comma or a line end right after a closing quote',
  INVALID_OPENING_QUOTE: 'quotes only around a whole field (RFC 4180), not inside an unquoted one',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a comma or a line end right after a closing quote',
};

/**
 * csv-parse's own errors (quoting) become InputErrors at the line it reports. An unclosed quote is
 * only detected at the end of the file, so it is reported at the line where its record starts.
 */
function toInputError(error: unknown, file: string, header: string[] | null, pendingRecordLine: number): unknown {
  if (error instanceof InputError) return error;
  if (error instanceof CsvError) {
    const context = error as CsvError & { lines?: number; column?: number | string | null; field?: string };
    const column =
      typeof context.column === 'number' ? (header?.[context.column] ?? `[${context.column + 1}]`) : null;
    const line = error.code === 'CSV_QUOTE_NOT_CLOSED' ? pendingRecordLine : (context.lines ?? 0);
    const expected = CSV_ERROR_EXPECTED[error.code] ?? `valid RFC 4180 CSV (${error.message.replace(/\s+/g, ' ')})`;
    return new InputError(file, line, column, context.field ?? null, expected);
  }
  if (isNodeError(error) && error.code === 'ENOENT') {
    return new InputError(file, 0, null, null, 'an input file; there is no such file');
  }
  if (isNodeError(error) && error.code === 'EISDIR') {
    return new InputError(file, 0, null, null, 'a CSV file; this is a folder');
  }
  return error;
}

function lineBreaks(fields: string[]): number {
  let count = 0;
  for (const field of fields) for (let at = field.indexOf('\n'); at !== -1; at = field.indexOf('\n', at + 1)) count++;
  return count;
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/**
 * The length of the prefix of `bytes` that ends on a UTF-8 character boundary: a lead byte among the
 * last three whose sequence would run past the end is held back for the next chunk.
 */
function completeCharacters(bytes: Buffer): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back];
    if (b < 0x80) return n; // ASCII: the boundary is at the end
    if (b >= 0xc0) {
      const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return back < needed ? n - back : n;
    }
  }
  return n;
}

/**
 * Offset of the first byte of `bytes[0, end)` that is not valid UTF-8 (error path only): decode with
 * replacement and find the first U+FFFD that is not a genuine, correctly encoded U+FFFD (EF BF BD).
 */
function firstInvalidUtf8(bytes: Buffer, end: number): number {
  const text = bytes.subarray(0, end).toString('utf8');
  let from = 0;
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) {
    from = Buffer.byteLength(text.slice(0, at));
    if (!(bytes[from] === 0xef && bytes[from + 1] === 0xbf && bytes[from + 2] === 0xbd)) return from;
  }
  return from;
}

/**
 * Not text: names the line, the column and the field holding the byte at `offset`, and stops. Error
 * path only, so it re-reads the file up to the end of that line, and splits the header and the line
 * on commas outside quotes (csv-parse is not asked: the bytes are exactly what it cannot be given).
 */
async function throwNotText(file: string, offset: number, what: string): Promise<never> {
  const { line, header, text, at } = await lineHolding(file, offset);
  const fields = splitFields(text);
  const index = fieldIndexAt(text, at);
  const names = line > 1 ? splitFields(header.toString('utf8').replace(/^\uFEFF/, '')) : null;
  const column = names?.[index] ?? `[${index + 1}]`;
  throw new InputError(
    file,
    line,
    column,
    fields[index] ?? null,
    `a UTF-8 text CSV; found ${what} at byte ${offset}: not a UTF-8 text CSV`,
  );
}

/** The 1-based line holding byte `offset`, the first line's bytes, and that line's bytes. */
async function lineHolding(file: string, offset: number): Promise<{ line: number; header: Buffer; text: Buffer; at: number }> {
  let line = 1;
  let position = 0;
  let lineStart = 0;
  let header: Buffer | null = null;
  let current: number[] = [];
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK_BYTES })) {
    for (const byte of chunk as Buffer) {
      if (byte === 0x0a) {
        if (header === null) header = Buffer.from(current);
        if (position >= offset) return { line, header, text: Buffer.from(current), at: offset - lineStart };
        line++;
        lineStart = position + 1;
        current = [];
      } else {
        current.push(byte);
      }
      position++;
    }
  }
  const text = Buffer.from(current);
  return { line, header: header ?? text, text, at: offset - lineStart };
}

/** Fields of one CSV line (bytes), split on commas outside double quotes; quotes are kept. */
function splitFields(text: Buffer | string): string[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const fields: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] === 0x22) quoted = !quoted;
    else if (i === bytes.length || (bytes[i] === 0x2c && !quoted)) {
      fields.push(bytes.subarray(start, i).toString('utf8').replace(/\r$/, ''));
      start = i + 1;
    }
  }
  return fields;
}

/** Which field (0-based) of a line holds byte `at`. */
function fieldIndexAt(text: Buffer, at: number): number {
  let quoted = false;
  let index = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text[i] === 0x22) quoted = !quoted;
    else if (text[i] === 0x2c && !quoted) index++;
  }
  return index;
}
