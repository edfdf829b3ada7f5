/**
 * The fast path of CSV ingest: a hand-written scanner for the common file (no quotes, LF or CRLF line
 * ends, valid rows), straight from read chunks into the typed-array columns.
 *
 * Why hand-written: csv-parse, at its cheapest (arrays of strings, no info objects), took 4.1 s for
 * the 1M-row benchmark file (ingest stage, machine load ~3.8), about 0.24M rows/s, against the 1M
 * rows/s end-to-end target for 10M rows; with this scanner the whole ingest stage (read, sha256,
 * checks, parse) takes 0.5 s for the same file (median, bench/RESULTS.md). It never decides anything the
 * csv-parse path (csv.ts) would decide differently: whenever a file is not plainly valid (a quote
 * anywhere, a stray CR, a ragged row, a value that fails validation, a NUL byte, bytes that are not
 * UTF-8, a header it does not accept, a date before 1582-10-15, a line longer than the read buffer, no
 * data rows) it returns
 * null, and the caller reads the file again with csv-parse, which produces the same one-line
 * InputError as before. So RFC 4180 quoting, the BOM, CRLF, the validation and the error messages
 * stay csv-parse's and csv.ts's; this file only has to be right on input that is valid.
 *
 * Per chunk: the bytes up to the last line feed are hashed, checked (NUL, quote, CR, UTF-8: native
 * `indexOf`/`isUtf8` calls) and decoded as Latin-1 (one byte = one char, so offsets are byte
 * offsets); each line's fields are located with `indexOf(',')` and parsed in place (`parseDayAt`,
 * `parseDecimal`): no string is created per field or per row. The unfinished last line is moved to
 * the front of the buffer for the next read.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DailyColumnsBuilder } from './columns.js';
import { FIRST_GREGORIAN_DAY, parseDayAt } from './dates.js';
import { parseDecimal } from './decimal.js';
import type { IngestResult } from './types.js';

const BUFFER_BYTES = 1 << 22;
/**
 * The longest physical line accepted, here and in csv.ts. Vendor rows are ~100 bytes; a longer line is not
 * daily price data, and csv.ts refuses it before csv-parse sees it, which bounds the memory and time of
 * every error path (issue 10, item 1: csv-parse spends seconds on a one-megabyte field).
 */
export const MAX_LINE_BYTES = 1 << 16;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf];

/** Field roles: which required column a field is, or OTHER (ignored). */
const DATE = 0;
const PRICE = 1;
const VOLUME = 2;
const MARKET_CAP = 3;
const OTHER = -1;
const REQUIRED = ['date', 'price', 'volume', 'marketCap'];

/**
 * The file's rows, as `readDailyCsv` returns them, or null when the file needs the csv-parse path
 * (anything unusual, including every kind of bad input).
 */
export async function scanPlainCsv(file: string, acceptHeader?: (names: string[]) => boolean): Promise<IngestResult | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null; // the csv-parse path reports it
  }
  try {
    const size = (await handle.stat()).size;
    const hash = createHash('sha256');
    const columns = new DailyColumnsBuilder();
    const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    let filled = 0;
    let roles: Int8Array | null = null;
    let crlf = false;
    let atFileStart = true;
    let bytesRead = 0;
    let sized = false;

    for (;;) {
      const { bytesRead: got } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (got > 0) hash.update(buffer.subarray(filled, filled + got));
      bytesRead += got;
      filled += got;
      const atEnd = got === 0;
      // The complete lines in the buffer; at the end of the file, everything left.
      let end = atEnd ? filled : buffer.lastIndexOf(LF, filled - 1) + 1;
      if (end === 0) {
        if (filled === buffer.length) return null; // a line longer than the buffer
        if (!atEnd) continue;
      }
      let start = 0;
      if (atFileStart && end > 0) {
        atFileStart = false;
        if (buffer[0] === BOM[0] && buffer[1] === BOM[1] && buffer[2] === BOM[2]) start = 3;
      }
      const region = buffer.subarray(start, end);
      if (region.indexOf(0) !== -1 || region.indexOf(QUOTE) !== -1 || !isUtf8(region)) return null;

      let text = region.toString('latin1');
      let from = 0;
      if (roles === null) {
        const headerEnd = text.indexOf('\n');
        const headerLine = headerEnd === -1 ? text : text.slice(0, headerEnd);
        crlf = headerLine.endsWith('\r');
        const names = Buffer.from(crlf ? headerLine.slice(0, -1) : headerLine, 'latin1').toString('utf8');
        roles = headerRoles(names);
        if (roles === null || headerEnd === -1) return null;
        // The caller's layout rules (layouts.ts): e.g. a header that is also another vendor's layout.
        if (acceptHeader !== undefined && !acceptHeader(names.split(','))) return null;
        from = headerEnd + 1;
        // Size the columns from the header-less bytes per row of this first chunk.
        const sample = text.length - from;
        const rowsInSample = countLines(text, from);
        if (rowsInSample > 0 && !sized) {
          columns.reserve(Math.ceil(((size - start - from) / sample) * rowsInSample * 1.02) + 16);
          sized = true;
        }
      }
      if (!crlf && text.indexOf('\r', from) !== -1) return null;
      if (atEnd && from < text.length && !text.endsWith('\n')) text += '\n'; // the last line, unterminated
      if (!scanLines(text, region, from, roles, crlf, columns)) return null;

      if (atEnd) break;
      buffer.copy(buffer, 0, end, filled);
      filled -= end;
    }
    if (bytesRead !== size || columns.length === 0) return null;
    return { file, columns: columns.finish(), rowsRead: columns.length, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** Roles of the header's fields, or null unless it names each required column exactly once. */
function headerRoles(line: string): Int8Array | null {
  const names = line.split(',');
  if (new Set(names).size !== names.length) return null;
  const roles = new Int8Array(names.length).fill(OTHER);
  for (let role = 0; role < REQUIRED.length; role++) {
    const at = names.indexOf(REQUIRED[role]);
    if (at === -1) return null;
    roles[at] = role;
  }
  return roles;
}

function countLines(text: string, from: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/**
 * Parses every line of `text` from `from` (each ends with '\n') into `columns`; `bytes` are the same
 * characters as bytes (Latin-1), for the numbers. False as soon as a
 * line is not a plainly valid row (the caller falls back to csv-parse).
 */
function scanLines(text: string, bytes: Uint8Array, from: number, roles: Int8Array, crlf: boolean, columns: DailyColumnsBuilder): boolean {
  const fieldCount = roles.length;
  let pos = from;
  const length = text.length;
  while (pos < length) {
    const lineFeed = text.indexOf('\n', pos);
    if (lineFeed - pos > MAX_LINE_BYTES) return false; // csv.ts refuses it
    let lineEnd = lineFeed;
    if (crlf) {
      if (text.charCodeAt(lineFeed - 1) !== CR || lineFeed === pos) return false;
      lineEnd--;
      if (text.lastIndexOf('\r', lineEnd - 1) >= pos) return false;
    }
    if (lineEnd === pos) {
      pos = lineFeed + 1; // a blank line: skipped, as csv.ts does
      continue;
    }
    let day = NaN;
    let price = NaN;
    let volume = NaN;
    let marketCap = NaN;
    let fieldStart = pos;
    for (let f = 0; f < fieldCount; f++) {
      let fieldEnd: number;
      if (f === fieldCount - 1) {
        fieldEnd = lineEnd;
        const comma = text.indexOf(',', fieldStart);
        if (comma !== -1 && comma < lineEnd) return false; // more fields than the header
      } else {
        fieldEnd = text.indexOf(',', fieldStart);
        if (fieldEnd === -1 || fieldEnd > lineEnd) return false; // fewer fields than the header
      }
      switch (roles[f]) {
        case DATE:
          day = parseDayAt(text, fieldStart, fieldEnd);
          break;
        case PRICE:
          price = parseDecimal(bytes, fieldStart, fieldEnd);
          break;
        case VOLUME:
          volume = parseDecimal(bytes, fieldStart, fieldEnd);
          break;
        case MARKET_CAP:
          marketCap = parseDecimal(bytes, fieldStart, fieldEnd);
          break;
      }
      fieldStart = fieldEnd + 1;
    }
    // The same checks as csv.ts's readRow; NaN (not a date, not the grammar) fails each of them.
    if (!(day >= FIRST_GREGORIAN_DAY) || !(price > 0 && price < Infinity)) return false;
    if (!(volume >= 0 && volume < Infinity) || !(marketCap >= 0 && marketCap < Infinity)) return false;
    columns.push(day, price, volume, marketCap);
    pos = lineFeed + 1;
  }
  return true;
}
