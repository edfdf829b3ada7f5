/**
 * CSV ingest (docs/input.md): the file's rows, in file order, as typed-array columns, plus the
 * sha256 of its bytes, in one streaming pass.
 *
 *   createReadStream → [sha256, NUL/UTF-8 check] → csv-parse (arrays, RFC 4180, BOM) → sink: validate
 *   the four required fields and append them to growable typed arrays
 *
 * A file that is plainly valid (the project's own layout, with or without an `asset` column; no quotes
 * but a quoted asset name; no stray CR; every row valid) is first read by the hand-written scanner in
 * csvScan.ts, several times faster; it gives up on anything else, and then this csv-parse path reads
 * the file and decides (and words) every error.
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
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { DailyColumnsBuilder } from '../columns.js';
import { MAX_LINE_BYTES, scanPlainCsv } from './csvScan.js';
import type { ReadProgress } from '../output/progress.js';
import { dateExpected, dayOfSeconds, FIRST_GREGORIAN_DAY, parseDateTime, parseUnixTime, unixExpected } from './dates.js';
import { InputError } from '../errors.js';
import {
  isBannerLine,
  NUMERIC_FIELDS,
  OHLC_FIELDS,
  resolveLayout,
  VALUE_FIELDS,
  type Layout,
  type LayoutOptions,
  type NumericField,
} from './layouts.js';
import { ASSET_NAME, ASSET_NAME_EXPECTED, boundExpected, checkOhlc, NUMBER_EXPECTED, VALUE_BOUNDS } from './valueRules.js';
import type { DailyColumns, IngestResult } from '../types.js';

/** The required columns of the contract's own layout, found by header name in any order. */
export const REQUIRED_COLUMNS = ['date', ...VALUE_FIELDS] as const;

/** The longest physical line accepted (declared in csvscan.ts, which holds to it too). */
export { MAX_LINE_BYTES };

/** A missing cell (docs/input.md#missing-values): empty, CoinMarketCap's `-`, or `null` in any case. */
export function isMissingCell(text: string): boolean {
  return text === '' || text === '-' || (text.length === 4 && text.toLowerCase() === 'null');
}

/** Where a row with a missing cell came from, for missing.ts's messages. */
export interface MissingCellSource {
  line: number;
  /** The missing cells' text ('', '-' or 'null') by field. */
  text: Partial<Record<NumericField, string>>;
}

/** What reading a daily input gives: the rows (missing cells NaN), and how the file was read. */
export interface DailyIngest extends IngestResult {
  /** The layout read: a vendor's name, `columns` (a --columns mapping) or `parquet`. */
  layout: string;
  /** The rows (file positions) that have a missing cell in a field the run needs. */
  missingCells: Map<number, MissingCellSource>;
  /** The numeric fields read from the file (a field outside `required` may be absent: all NaN). */
  fields: readonly NumericField[];
  /** The file's name for each numeric field read (`Close`, `market_cap`), for messages. */
  columnNames: Partial<Record<NumericField, string>>;
  /** The file's name for its date column (`snapped_at`, `unix`), for messages; default `date`. */
  dateColumn?: string;
  /**
   * Each row's time in seconds since 1970-01-01 UTC (a day with several rows keeps the latest, days.ts);
   * absent: every row is at the start of its day (a date-only file), file order decides.
   */
  seconds?: Float64Array;
  /** The asset an asset column names (all its values equal), or absent (docs/input.md#assets). */
  asset?: string;
  /**
   * A file with an asset column (docs/input.md#panels): each row's asset as an index into `assetNames`
   * (trimmed, in order of first appearance) and the line each name first appears on. Absent without
   * an asset column. `splitAssets` (engine/panel/assets.ts) turns a panel into one ingest per asset.
   */
  assetOf?: Int32Array;
  assetNames?: string[];
  assetLines?: number[];
  /** The file's name for its asset column, for messages. */
  assetColumn?: string;
  /** Rows whose open/high/low disagree with the close, accepted under `--ohlc-check off`. */
  ohlcInconsistentRows?: number;
}

/** Thousands separators: `1,234` or `1,551,050,000.5` (groups of three), nothing looser. */
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;

/**
 * Plain decimals and exponent forms: `1.5`, `-0`, `3e-05`, `+2`, `.5`, `2.`. Checked before `Number()`,
 * which alone would also accept `''` (as 0), `' 1 '`, `0x1A`, `0b11` and `Infinity`.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const READ_CHUNK_BYTES = 1 << 20;

/** How to read a CSV: the layout options (layouts.ts) and, for a pipe or stdin, the stream to read once. */
export interface CsvReadOptions extends LayoutOptions {
  /**
   * The bytes, when the input is not a regular file (a pipe, a FIFO, stdin): read once, by the csv-parse
   * path, never re-read. Default: the file is opened by name.
   */
  source?: Readable;
  /** Told the rows read as the plain-CSV scanner goes (the csv-parse path reports nothing). */
  readProgress?: ReadProgress;
}

/**
 * Reads a daily CSV in any layout of layouts.ts. Rows come back in file order with missing cells as
 * NaN; sorting, dedupe and the missing-value policy are the next stages' job (days.ts, missing.ts).
 * @throws InputError for anything docs/input.md calls bad input.
 */
export async function readDailyCsv(file: string, options: CsvReadOptions = {}): Promise<DailyIngest> {
  // The common, plainly valid file in the contract's own four columns, a panel's asset column included,
  // takes the hand-written scanner (csvscan.ts: csv-parse alone managed ~0.24M rows/s); anything else,
  // every error included, is read (again) below. A stream cannot be read twice, so it goes to csv-parse
  // directly. The result is field for field what the csv-parse path returns for the same file.
  const plain = options.source === undefined && options.columns == null && options.thousands == null;
  const format = options.format ?? 'auto';
  if (plain && (format === 'auto' || format === 'pricecast')) {
    const scanned = await scanPlainCsv(file, (names) => pricecastOnly(file, names, options), { progress: options.readProgress });
    if (scanned !== null) {
      const { assetOf, assetNames, assetLines } = scanned;
      const ingest: DailyIngest = {
        file: scanned.file,
        columns: scanned.columns,
        rowsRead: scanned.rowsRead,
        sha256: '',
        layout: 'pricecast',
        missingCells: new Map(),
        fields: [...VALUE_FIELDS],
        columnNames: { price: 'price', volume: 'volume', marketCap: 'marketCap' },
        dateColumn: 'date',
        ...(assetNames?.length === 1 ? { asset: assetNames[0] } : {}),
        ...(assetOf !== undefined ? { assetOf, assetNames, assetLines, assetColumn: 'asset' } : {}),
      };
      // The scan's sha256 as it is: a getter while a worker still hashes the file (fileHash.ts), not read here.
      return Object.defineProperty(ingest, 'sha256', Object.getOwnPropertyDescriptor(scanned, 'sha256')!);
    }
  }
  return readDailyCsvWithCsvParse(file, options);
}

/**
 * The scanner's header test: the contract's own layout without open/high/low, each column it reads
 * (the asset's too, if any) the one the scanner takes by its exact name (`Asset`, ` date` go to csv-parse).
 */
function pricecastOnly(file: string, names: string[], options: LayoutOptions): boolean {
  try {
    const layout = resolveLayout(file, names, options);
    const scanned = ['date', ...VALUE_FIELDS, 'asset'] as const;
    return layout.name === 'pricecast' && layout.at.open === -1 && scanned.every((field) => layout.at[field] === names.indexOf(field));
  } catch {
    return false; // the csv-parse path words the error
  }
}

/** A Float64Array that doubles when full. */
class GrowingColumn {
  values = new Float64Array(1024);
  push(at: number, value: number): void {
    if (at >= this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[at] = value;
  }
  finish(length: number): Float64Array {
    return this.values.slice(0, length);
  }
}

/** The general path: csv-parse, with the validation and the error messages of docs/input.md. */
export async function readDailyCsvWithCsvParse(file: string, options: CsvReadOptions = {}): Promise<DailyIngest> {
  const hash = createHash('sha256');
  const columns = new DailyColumnsBuilder();
  const missingCells = new Map<number, MissingCellSource>();
  const required = new Set<NumericField>(['price', ...(options.required ?? VALUE_FIELDS)]);
  const ohlcCheck = options.ohlcCheck !== 'off';
  let header: string[] | null = null;
  let layout: Layout | null = null;
  let dateAt = -1;
  let assetAt = -1;
  /** Index of each numeric field's column (-1: not in the file, read as NaN), and its header name. */
  const valueAt: number[] = NUMERIC_FIELDS.map(() => -1);
  const valueName: string[] = [...NUMERIC_FIELDS];
  let fields: NumericField[] = [];
  /** Fields that are not required: the only ones that may (validly) hold a quoted line break. */
  let otherAt: number[] = [];
  const seconds = new GrowingColumn();
  let anyTimeOfDay = false;
  const ohlc = OHLC_FIELDS.map(() => new GrowingColumn());
  let ohlcInconsistentRows = 0;
  /** The asset column's distinct values, in order of appearance, and the line each first appears on. */
  const assets = new Map<string, number>();
  const assetOf = new GrowingColumn();
  const assetIndex = new Map<string, number>();
  /**
   * The line the next record starts on. csv-parse's own line count comes only with a per-record
   * info object that costs more than the parse itself, so lines are counted here: one per record,
   * plus the line breaks inside its quoted fields, plus blank lines.
   */
  let nextLine = 1;

  const number = (text: string, line: number, column: string): number => {
    let plain = text;
    // indexOf first: most cells (every price) have no comma, and a regex test per cell is the dearer check.
    if (layout!.thousands && text.indexOf(',') !== -1 && THOUSANDS.test(text)) plain = text.replace(/,/g, '');
    const value = DECIMAL.test(plain) ? Number(plain) : NaN;
    if (!Number.isFinite(value)) {
      throw new InputError(file, line, column, text, layout!.thousands ? NUMBER_WITH_THOUSANDS_EXPECTED : NUMBER_EXPECTED);
    }
    return value;
  };

  const readHeader = (record: string[], line: number): void => {
    const seen = new Set<string>();
    for (const name of record) {
      if (seen.has(name)) {
        throw new InputError(file, line, name, name, 'a header whose column names are all different; this name appears twice');
      }
      seen.add(name);
    }
    layout = resolveLayout(file, record, options, line);
    header = record;
    dateAt = layout.at.date;
    assetAt = layout.at.asset;
    NUMERIC_FIELDS.forEach((field, k) => {
      valueAt[k] = layout!.at[field];
      valueName[k] = layout!.columns[field] ?? field;
    });
    fields = NUMERIC_FIELDS.filter((_field, k) => valueAt[k] !== -1);
    const used = new Set([dateAt, assetAt, ...valueAt]);
    otherAt = record.map((_name, i) => i).filter((i) => !used.has(i));
  };

  // One row's values, reused row after row (NaN: missing or not in the file).
  const values = NUMERIC_FIELDS.map(() => NaN);
  const texts = NUMERIC_FIELDS.map(() => '');

  const readRow = (record: string[], line: number): void => {
    if (record.length !== header!.length) {
      throw new InputError(file, line, null, record.join(','), `${header!.length} fields as in the header, found ${record.length}`);
    }
    const dateText = record[dateAt];
    const unix = layout!.date === 'unix';
    const time = unix ? parseUnixTime(dateText) : parseDateTime(dateText);
    const day = dayOfSeconds(time);
    if (!(day >= FIRST_GREGORIAN_DAY)) {
      throw new InputError(file, line, layout!.columns.date, dateText, unix ? unixExpected(dateText) : dateExpected(dateText));
    }
    if (time !== day * 86_400) anyTimeOfDay = true;
    let missing: MissingCellSource | null = null;
    for (let k = 0; k < NUMERIC_FIELDS.length; k++) {
      values[k] = NaN;
      if (valueAt[k] === -1) continue;
      const text = record[valueAt[k]];
      texts[k] = text;
      if (isMissingCell(text)) {
        // NaN marks the cell; only a field the run needs is missing in missing.ts's sense.
        if (required.has(NUMERIC_FIELDS[k])) (missing ??= { line, text: {} }).text[NUMERIC_FIELDS[k]] = text;
        continue;
      }
      const value = number(text, line, valueName[k]);
      if (!VALUE_BOUNDS[NUMERIC_FIELDS[k]].passes(value)) {
        throw new InputError(file, line, valueName[k], text, boundExpected(NUMERIC_FIELDS[k]));
      }
      values[k] = value;
    }
    const row = columns.length;
    if (assetAt !== -1) {
      const asset = record[assetAt].trim();
      let index = assetIndex.get(asset);
      if (index === undefined) {
        if (!ASSET_NAME.test(asset)) throw new InputError(file, line, layout!.columns.asset!, record[assetAt], ASSET_NAME_EXPECTED);
        index = assetIndex.size;
        assetIndex.set(asset, index);
        assets.set(asset, line);
      }
      assetOf.push(row, index);
    }
    if (valueAt[3] !== -1) {
      // open, high, low (k = 3, 4, 5) against the close (k = 0): docs/input.md#open-high-and-low.
      const problem = checkOhlc(values[3], values[4], values[5], values[0]);
      if (problem !== null) {
        if (ohlcCheck) {
          const k = problem === 'low' ? 5 : 4;
          throw new InputError(file, line, valueName[k], texts[k], ohlcExpected(values[3], values[4], values[5], values[0]));
        }
        ohlcInconsistentRows++;
      }
      for (let j = 0; j < 3; j++) ohlc[j].push(row, values[3 + j]);
    }
    if (missing !== null) missingCells.set(row, missing);
    seconds.push(row, time);
    columns.push(day, values[0], values[1], values[2]);
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

  let bannerSeen = false;
  const readRecord = (record: string[]): void => {
    const line = nextLine;
    if (record.length === 1 && record[0] === '') {
      // A blank line. Spark's CSV reader skips blank lines; so do we (a trailing one is common).
      nextLine++;
      return;
    }
    if (header === null) {
      nextLine += 1 + lineBreaks(record);
      // A vendor's banner above the header (CryptoDataDownload's URL line) is skipped, once.
      if (!bannerSeen && isBannerLine(record)) {
        bannerSeen = true;
        return;
      }
      readHeader(record, line);
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

  const check = new TextCheck(file);
  async function* checkAndHash(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      check.chunk(chunk);
      yield chunk;
    }
    check.end();
  }

  try {
    await pipeline(
      options.source ?? createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
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
  } finally {
    // A stream left half-read (an error above) is let go: stdin or a pipe must not keep the process alive.
    options.source?.destroy();
  }

  if (header === null) throw new InputError(file, 0, null, null, 'a CSV with a header row and data rows; the file is empty');
  if (columns.length === 0) {
    throw new InputError(file, 0, null, null, 'data rows after the header; the file has only a header');
  }
  const resolved = layout! as Layout;
  const n = columns.length;
  const daily: DailyColumns = columns.finish();
  if (valueAt[3] !== -1) {
    daily.open = ohlc[0].finish(n);
    daily.high = ohlc[1].finish(n);
    daily.low = ohlc[2].finish(n);
  }
  return {
    file,
    columns: daily,
    rowsRead: n,
    sha256: hash.digest('hex'),
    layout: resolved.name,
    missingCells,
    fields,
    columnNames: Object.fromEntries(fields.map((field) => [field, valueName[NUMERIC_FIELDS.indexOf(field)]])),
    dateColumn: resolved.columns.date!,
    ...(anyTimeOfDay ? { seconds: seconds.finish(n) } : {}),
    ...(assets.size === 1 ? { asset: [...assets.keys()][0] } : {}),
    ...(assetAt !== -1
      ? { assetOf: Int32Array.from(assetOf.finish(n)), assetNames: [...assets.keys()], assetLines: [...assets.values()], assetColumn: resolved.columns.asset! }
      : {}),
    ...(valueAt[3] !== -1 ? { ohlcInconsistentRows } : {}),
  };
}

/** What a row whose open/high/low disagree with its close is told. */
function ohlcExpected(open: number, high: number, low: number, close: number): string {
  return (
    `low <= min(open, close) and max(open, close) <= high; this row has open ${open}, high ${high}, low ${low}, ` +
    `close ${close} (--ohlc-check off accepts such rows and counts them)`
  );
}


const NUMBER_WITH_THOUSANDS_EXPECTED = 'a finite decimal number (thousands separators allowed: 1,234.5)';

/**
 * The byte-level checks of the csv-parse path, on each chunk as it streams past: no NUL byte, valid
 * UTF-8, no line longer than MAX_LINE_BYTES. It keeps only the first line (the header) and the start of
 * the current line, each at most MAX_LINE_BYTES, so that an error can name the line, column and field
 * without reading the input again: memory stays bounded whatever the input (`/dev/zero`, a 50 MB line,
 * a pipe that cannot be re-read).
 */
class TextCheck {
  /** The 1-based line of the next byte. */
  private line = 1;
  /** Bytes consumed before the current chunk. */
  private offset = 0;
  private header: Buffer | null = null;
  /** The current line's bytes before the current chunk (at most MAX_LINE_BYTES of them). */
  private lineStart: Buffer = Buffer.alloc(0);
  /** The current line's length before the current chunk (not capped). */
  private lineLength = 0;
  /** A multi-byte character cut by the chunk boundary, held back until the next chunk. */
  private pendingTail: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  chunk(chunk: Buffer): void {
    const nul = chunk.indexOf(0);
    if (nul !== -1) this.notText(chunk, nul, 'a NUL byte');
    const joined = this.pendingTail.length > 0 ? Buffer.concat([this.pendingTail, chunk]) : chunk;
    const cut = completeCharacters(joined);
    if (!isUtf8(joined.subarray(0, cut))) {
      const at = firstInvalidUtf8(joined, cut) - this.pendingTail.length;
      this.notText(chunk, Math.max(0, at), 'bytes that are not UTF-8');
    }
    this.pendingTail = Buffer.from(joined.subarray(cut));
    this.advance(chunk);
    this.offset += chunk.length;
  }

  end(): void {
    if (this.pendingTail.length > 0) {
      this.offset -= this.pendingTail.length;
      this.notText(Buffer.alloc(0), 0, 'a truncated UTF-8 character at the end');
    }
  }

  /** Moves past a chunk's line feeds: counts lines, keeps the header, refuses an over-long line. */
  private advance(chunk: Buffer): void {
    let from = 0;
    for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, from)) {
      if (this.lineLength + lf - from > MAX_LINE_BYTES) this.tooLong(chunk.subarray(from, lf));
      if (this.line === 1) this.header = this.capped(chunk.subarray(from, lf));
      this.line++;
      this.lineStart = Buffer.alloc(0);
      this.lineLength = 0;
      from = lf + 1;
    }
    const rest = chunk.subarray(from);
    if (this.lineLength + rest.length > MAX_LINE_BYTES) this.tooLong(rest);
    this.lineStart = this.capped(rest);
    this.lineLength += rest.length;
  }

  /** The current line's start plus `more`, at most MAX_LINE_BYTES. */
  private capped(more: Buffer): Buffer {
    const room = MAX_LINE_BYTES - this.lineStart.length;
    return Buffer.concat([this.lineStart, more.subarray(0, Math.max(0, room))]);
  }

  private tooLong(more: Buffer): never {
    const start = this.capped(more).subarray(0, 40).toString('utf8');
    throw new InputError(this.file, this.line, null, start, `lines of at most ${MAX_LINE_BYTES} bytes (daily price rows are short); this line is longer`);
  }

  /**
   * Not text: names the line, the column and the field holding byte `at` of `chunk`, and stops. The
   * header and the line are split on commas outside quotes (csv-parse is not asked: the bytes are
   * exactly what it cannot be given).
   */
  private notText(chunk: Buffer, at: number, what: string): never {
    const before = chunk.subarray(0, at);
    let line = this.line;
    let lineFrom = 0;
    for (let lf = before.indexOf(0x0a); lf !== -1; lf = before.indexOf(0x0a, lf + 1)) {
      if (line === 1 && this.header === null) this.header = this.capped(chunk.subarray(0, lf));
      line++;
      lineFrom = lf + 1;
    }
    const lineEnd = chunk.indexOf(0x0a, at);
    const ownBytes = chunk.subarray(lineFrom, lineEnd === -1 ? chunk.length : lineEnd);
    const text = lineFrom === 0 ? this.capped(ownBytes) : ownBytes.subarray(0, MAX_LINE_BYTES);
    const within = (lineFrom === 0 ? this.lineStart.length : 0) + at - lineFrom;
    const fields = splitFields(text);
    const index = fieldIndexAt(text, within);
    const names = line > 1 && this.header !== null ? splitFields(this.header.toString('utf8').replace(/^\uFEFF/, '')) : null;
    const column = names?.[index] ?? `[${index + 1}]`;
    throw new InputError(
      this.file,
      line,
      column,
      fields[index] ?? null,
      `a UTF-8 text CSV; found ${what} at byte ${this.offset + at}: not a UTF-8 text CSV`,
    );
  }
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
  if (isNodeError(error) && error.syscall !== undefined) {
    return new InputError(file, 0, null, null, `an input that can be read; ${error.syscall} failed with ${error.code}`);
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
