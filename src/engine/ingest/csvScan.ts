/**
 * The fast path of CSV ingest: a hand-written scanner for the common file (no quotes, LF or CRLF line
 * ends, valid rows), straight from read chunks into the typed-array columns, and for the panel in the
 * project's layout (an `asset` column, docs/input.md#assets), whose names may be quoted.
 *
 * Why hand-written: csv-parse, at its cheapest (arrays of strings, no info objects), took 4.1 s for
 * the 1M-row benchmark file (ingest stage, machine load ~3.8), about 0.24M rows/s, against the 1M
 * rows/s end-to-end target for 10M rows; with this scanner the whole ingest stage (read, sha256,
 * checks, parse) takes 0.5 s for the same file (median, bench/RESULTS.md). It never decides anything the
 * csv-parse path (csv.ts) would decide differently: whenever a file is not plainly valid (a quote
 * anywhere but around a whole asset cell, a stray CR, a ragged row, a value that fails validation, an
 * asset name it is not sure of, a NUL byte, bytes that are not UTF-8, a header it does not accept, a
 * date before 1582-10-15, a line longer than the read buffer, no data rows) it returns
 * null, and the caller reads the file again with csv-parse, which produces the same one-line
 * InputError as before. So RFC 4180 quoting, the BOM, CRLF, the validation and the error messages
 * stay csv-parse's and csv.ts's; this file only has to be right on input that is valid.
 *
 * Per chunk: the bytes up to the last line feed are hashed, checked (NUL, quote, CR, UTF-8: native
 * `indexOf`/`isUtf8` calls) and parsed from the bytes (`scanLines`): each field is read where it starts
 * and must end at a comma or the line's end, so no string is created per chunk, field or row. The
 * unfinished last line is moved to the front of the buffer for the next read.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { DailyColumnsBuilder } from '../columns.js';
import { startWorker } from '../workerThread.js';
import { fileIdentity, hashInBackground, type FileIdentity } from './fileHash.js';
import type { ReadProgress } from '../output/progress.js';
import { FIRST_GREGORIAN_DAY, parseDayBytes } from './dates.js';
import { decimalValue, scanDecimal } from './decimal.js';
import type { IngestResult } from '../types.js';
import { ASSET_NAME, VALUE_BOUNDS } from './valueRules.js';

const BUFFER_BYTES = 1 << 22;
/**
 * The longest physical line accepted, here and in csv.ts. Vendor rows are ~100 bytes; a longer line is not
 * daily price data, and csv.ts refuses it before csv-parse sees it, which bounds the memory and time of
 * every error path (csv-parse spends seconds on a one-megabyte field).
 */
export const MAX_LINE_BYTES = 1 << 16;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BOM = [0xef, 0xbb, 0xbf];

/** Field roles: which required column a field is, or OTHER (ignored). */
const DATE = 0;
const PRICE = 1;
const VOLUME = 2;
const MARKET_CAP = 3;
const ASSET = 4;
const OTHER = -1;
const REQUIRED = ['date', 'price', 'volume', 'marketCap'];
/** The optional asset column, taken by this exact name (csv.ts checks the layout puts it there too). */
const ASSET_COLUMN = 'asset';
const priceInBound = VALUE_BOUNDS.price.passes;
const volumeInBound = VALUE_BOUNDS.volume.passes;
const marketCapInBound = VALUE_BOUNDS.marketCap.passes;

/**
 * The rows of a scanned file and, with an `asset` column, each row's asset as csv.ts's DailyIngest
 * holds it (docs/input.md#assets): an index into `assetNames` (trimmed, in order of first appearance in
 * the file), and the line each name first appears on (the header is line 1).
 */
export interface ScanResult extends IngestResult {
  assetOf?: Int32Array;
  assetNames?: string[];
  assetLines?: number[];
}

/**
 * The file's rows, as `readDailyCsv` returns them, or null when the file needs the csv-parse path
 * (anything unusual, including every kind of bad input).
 */
export async function scanPlainCsv(
  file: string,
  acceptHeader?: (names: string[]) => boolean,
  options: ScanOptions = {},
): Promise<ScanResult | null> {
  const threads = options.threads ?? availableParallelism();
  if (threads >= 2) {
    let identity: FileIdentity = { size: -1, mtimeMs: 0 };
    try {
      identity = await fileIdentity(file);
    } catch {
      // the csv-parse path reports it
    }
    if (identity.size >= (options.minParallelBytes ?? PARALLEL_MIN_BYTES)) {
      const scanned = await scanInParallel(file, identity, threads, options.chunkBytes ?? BUFFER_BYTES, acceptHeader, options.progress);
      if (scanned !== null) return scanned;
      // Anything a worker could not parse plainly: this thread decides, from the file's first byte.
    }
  }
  return scanInThisThread(file, acceptHeader, options.progress);
}

/** Rows so far and the share of the bytes behind them, short of 1 until the scan is whole (then `done`). */
const BEFORE_THE_END = 0.999;

/** How the scan runs; the defaults are the engine's (tests force the parallel path on small files). */
export interface ScanOptions {
  /** Worker threads; below 2, the file is scanned in this thread. Default: os.availableParallelism(). */
  threads?: number;
  /** Files smaller than this are scanned in this thread (starting workers costs ~30-50 ms). */
  minParallelBytes?: number;
  /** Bytes read at a time, each read's whole lines being one worker's task. */
  chunkBytes?: number;
  /** Told the rows parsed so far after each chunk (src/engine/output/progress.ts). */
  progress?: ReadProgress;
}

/** Smaller files are scanned in this thread: starting the workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 8 << 20;

async function scanInThisThread(file: string, acceptHeader?: (names: string[]) => boolean, progress?: ReadProgress): Promise<ScanResult | null> {
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
    let assets: AssetColumn | null = null;
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
      if (region.indexOf(0) !== -1 || !isUtf8(region)) return null;
      const quoted = region.indexOf(QUOTE) !== -1;

      let from = 0;
      if (roles === null) {
        const headerEnd = region.indexOf(LF);
        const headerLine = region.toString('latin1', 0, headerEnd === -1 ? region.length : headerEnd);
        if (headerLine.indexOf('"') !== -1) return null; // a quoted header name: csv-parse unquotes it
        crlf = headerLine.endsWith('\r');
        const names = Buffer.from(crlf ? headerLine.slice(0, -1) : headerLine, 'latin1').toString('utf8');
        roles = headerRoles(names);
        if (roles === null || headerEnd === -1) return null;
        // The caller's layout rules (layouts.ts): e.g. a header that is also another vendor's layout.
        if (acceptHeader !== undefined && !acceptHeader(names.split(','))) return null;
        if (roles.includes(ASSET)) assets = new AssetColumn(1);
        from = headerEnd + 1;
        // Size the columns from the header-less bytes per row of this first chunk.
        const sample = region.length - from;
        const rowsInSample = countLines(region, from, region.length);
        if (rowsInSample > 0 && !sized) {
          const rows = Math.ceil(((size - start - from) / sample) * rowsInSample * 1.02) + 16;
          columns.reserve(rows);
          assets?.reserve(rows);
          sized = true;
        }
      }
      // Quotes are only ever a whole asset cell's (scanLines checks each line that has one).
      if (quoted && assets === null) return null;
      if (!crlf && region.indexOf(CR, from) !== -1) return null;
      // The last line, unterminated, ended as the file's other lines are (csv-parse reads it the same).
      const lines = terminated(region, atEnd, crlf);
      if (!scanLines(lines, from, lines.length, roles, crlf, columns, assets, quoted)) return null;
      if (atEnd) break;
      if (bytesRead < size) progress?.read(columns.length, bytesRead / size);
      buffer.copy(buffer, 0, end, filled);
      filled -= end;
    }
    if (bytesRead !== size || columns.length === 0) return null;
    progress?.read(columns.length, 1);
    return { file, columns: columns.finish(), rowsRead: columns.length, sha256: hash.digest('hex'), ...assets?.finish(columns.length) };
  } finally {
    await handle.close();
  }
}

/**
 * Roles of the header's fields, or null unless it names each required column exactly once; a field
 * named exactly `asset` is the asset column.
 */
export function headerRoles(line: string): Int8Array | null {
  const names = line.split(',');
  if (new Set(names).size !== names.length) return null;
  const roles = new Int8Array(names.length).fill(OTHER);
  for (let role = 0; role < REQUIRED.length; role++) {
    const at = names.indexOf(REQUIRED[role]);
    if (at === -1) return null;
    roles[at] = role;
  }
  const assetAt = names.indexOf(ASSET_COLUMN);
  if (assetAt !== -1) roles[assetAt] = ASSET;
  return roles;
}

/** What a task or a file's scan gives for the asset column (see ScanResult). */
interface AssetTable {
  assetOf: Int32Array;
  assetNames: string[];
  assetLines: number[];
}

/**
 * The asset column being scanned: each row's index into `names`, the names in order of first appearance
 * (trimmed, as csv.ts's readRow keeps them) and the line each first appears on, counted from `line`.
 * The same class merges the workers' tables in file order (`append`).
 */
export class AssetColumn {
  of = new Int32Array(1 << 16);
  readonly names: string[] = [];
  readonly lines: number[] = [];
  /** The line being scanned: scanLines adds one per physical line, blank ones included (csv.ts counts them). */
  line: number;
  private readonly byName = new Map<string, number>();
  /** Each distinct cell text seen (untrimmed, quotes kept): its number, and by number its name's index. */
  private readonly byCell = new Map<string, number>();
  private readonly cells: string[] = [];
  private readonly cellBytes: Uint8Array[] = [];
  private readonly cellNames: number[] = [];
  /** By cell number, the cell that followed it last time (-1: none yet), the guess for the next row. */
  private readonly successors: number[] = [];
  private lastCell = -1;

  /** `line`: the line before the first one scanned (1, the header, for a whole file; 0 for a worker's range). */
  constructor(line: number) {
    this.line = line;
  }

  reserve(capacity: number): void {
    if (capacity > this.of.length) {
      const of = new Int32Array(capacity);
      of.set(this.of);
      this.of = of;
    }
  }

  push(row: number, index: number): void {
    if (row >= this.of.length) this.reserve(2 * this.of.length);
    this.of[row] = index;
  }

  /**
   * The index of the name in cell `bytes[start, end)`, or -1 when the cell is not plainly a valid name
   * (csv-parse then decides): non-ASCII, a quote other than around the whole cell, or a trimmed name
   * ASSET_NAME refuses (empty included).
   */
  indexAt(bytes: Buffer, start: number, end: number): number {
    // Panels repeat a sequence: in blocks the previous row's cell, date by date the assets in the same
    // order. So the cell that followed the previous one last time is tried first (its bytes compared, no
    // string made); only a miss looks the cell up by its text.
    const last = this.lastCell;
    if (last !== -1) {
      const guess = this.successors[last];
      if (guess !== -1) {
        const cell = this.cellBytes[guess];
        if (end - start === cell.length && sameBytes(bytes, start, cell)) {
          this.lastCell = guess;
          return this.cellNames[guess];
        }
      }
    }
    const cell = bytes.toString('latin1', start, end);
    const k = this.byCell.get(cell) ?? this.add(cell);
    if (k === -1) return -1;
    if (last !== -1) this.successors[last] = k;
    this.lastCell = k;
    return this.cellNames[k];
  }

  /** A cell not seen before: its number (a new name joins the table), or -1 (see indexAt). */
  private add(cell: string): number {
    for (let i = 0; i < cell.length; i++) if (cell.charCodeAt(i) >= 0x80) return -1;
    let name = cell;
    if (cell.indexOf('"') !== -1) {
      // RFC 4180 quoting of the whole cell, as csv-parse unquotes it; anything else is its call.
      if (cell.length < 2 || cell.charCodeAt(0) !== QUOTE || cell.indexOf('"', 1) !== cell.length - 1) return -1;
      name = cell.slice(1, -1);
    }
    name = name.trim();
    if (!ASSET_NAME.test(name)) return -1;
    const k = this.cells.length;
    this.cells.push(cell);
    this.cellBytes.push(Buffer.from(cell, 'latin1'));
    this.cellNames.push(this.nameIndex(name, this.line));
    this.successors.push(-1);
    this.byCell.set(cell, k);
    return k;
  }

  private nameIndex(name: string, line: number): number {
    let index = this.byName.get(name);
    if (index === undefined) {
      index = this.names.length;
      this.byName.set(name, index);
      this.names.push(name);
      this.lines.push(line);
    }
    return index;
  }

  /**
   * A worker's range appended at row `at`: its names, first seen on its lines + `lineBase`, join this
   * table in order (so indexes follow first appearance in the whole file) and its rows are renumbered.
   */
  append(range: AssetTable, rows: number, at: number, lineBase: number): void {
    const remap = new Int32Array(range.assetNames.length);
    let same = true;
    for (let k = 0; k < remap.length; k++) {
      remap[k] = this.nameIndex(range.assetNames[k], lineBase + range.assetLines[k]);
      if (remap[k] !== k) same = false;
    }
    this.reserve(at + rows);
    if (same) this.of.set(range.assetOf.subarray(0, rows), at);
    else for (let i = 0; i < rows; i++) this.of[at + i] = remap[range.assetOf[i]];
  }

  /** The first `rows` rows' table (a view when nearly full, as DailyColumnsBuilder.finish does). */
  finish(rows: number): AssetTable {
    const assetOf = rows >= this.of.length * 0.9 ? this.of.subarray(0, rows) : this.of.slice(0, rows);
    return { assetOf, assetNames: this.names, assetLines: this.lines };
  }
}

/** `bytes[start, start + cell.length)` equals `cell`. */
function sameBytes(bytes: Uint8Array, start: number, cell: Uint8Array): boolean {
  for (let i = 0; i < cell.length; i++) if (bytes[start + i] !== cell[i]) return false;
  return true;
}

function countLines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(LF, from); at !== -1 && at < to; at = bytes.indexOf(LF, at + 1)) count++;
  return count;
}

/**
 * Parses every line of `bytes[from, to)` (each ends with '\n') into `columns` (and the asset column into
 * `assets`, when the header has one), straight from the bytes: each field is read where it starts
 * (parseDayBytes, scanDecimal, a skip to the next comma for other columns) and must end at a comma or,
 * the last one, at the line's end, so no field or line is searched for twice and no string is made.
 * `quoted`: the bytes have a quote somewhere, so each line's quotes are counted (only a quoted asset
 * cell's two are allowed). False as soon as a line is not a plainly valid row (the caller falls back to
 * csv-parse).
 */
export function scanLines(
  bytes: Buffer,
  from: number,
  to: number,
  roles: Int8Array,
  crlf: boolean,
  columns: DailyColumnsBuilder,
  assets: AssetColumn | null = null,
  quoted = false,
): boolean {
  const lastField = roles.length - 1;
  let pos = from;
  // The next quote at or after `pos` (-1: none left), found once per quote, not once per line.
  let nextQuote = quoted ? bytes.indexOf(QUOTE, from) : -1;
  while (pos < to) {
    if (assets !== null) assets.line++;
    const lineStart = pos;
    const first = bytes[pos];
    if (first === LF) {
      if (crlf) return false; // a bare LF in a CRLF file
      pos++; // a blank line: skipped, as csv.ts does
      continue;
    }
    if (crlf && first === CR && bytes[pos + 1] === LF) {
      pos += 2;
      continue;
    }
    let day = NaN;
    let price = NaN;
    let volume = NaN;
    let marketCap = NaN;
    let asset = -1;
    let assetQuotes = 0;
    let lineEnd = pos;
    for (let f = 0; f <= lastField; f++) {
      let fieldEnd: number;
      switch (roles[f]) {
        case DATE:
          day = parseDayBytes(bytes, pos);
          fieldEnd = pos + 10;
          break;
        case PRICE:
          fieldEnd = scanDecimal(bytes, pos, to);
          price = decimalValue[0];
          break;
        case VOLUME:
          fieldEnd = scanDecimal(bytes, pos, to);
          volume = decimalValue[0];
          break;
        case MARKET_CAP:
          fieldEnd = scanDecimal(bytes, pos, to);
          marketCap = decimalValue[0];
          break;
        default:
          fieldEnd = fieldEndFrom(bytes, pos);
          if (roles[f] === ASSET) {
            asset = assets!.indexAt(bytes, pos, fieldEnd);
            if (asset === -1) return false;
            if (bytes[pos] === QUOTE) assetQuotes = 2; // a valid cell: "name"
          }
      }
      const after = bytes[fieldEnd];
      if (f < lastField) {
        if (after !== COMMA) return false; // a field that is not plainly its column's, or too few fields
        pos = fieldEnd + 1;
      } else if (crlf) {
        if (after !== CR || bytes[fieldEnd + 1] !== LF) return false; // more fields, a stray CR, …
        lineEnd = fieldEnd;
        pos = fieldEnd + 2;
      } else {
        if (after !== LF) return false;
        lineEnd = fieldEnd;
        pos = fieldEnd + 1;
      }
    }
    if (pos - 1 - lineStart > MAX_LINE_BYTES) return false; // csv.ts refuses it
    let quotes = 0;
    for (; nextQuote !== -1 && nextQuote < lineEnd; nextQuote = bytes.indexOf(QUOTE, nextQuote + 1)) quotes++;
    if (quotes !== assetQuotes) return false; // a quote outside the asset cell: csv-parse's to read
    // The same checks as csv.ts's readRow; NaN (not a date, not the grammar) fails each of them.
    if (!(day >= FIRST_GREGORIAN_DAY) || !(price < Infinity && priceInBound(price))) return false;
    if (!(volume < Infinity && volumeInBound(volume)) || !(marketCap < Infinity && marketCapInBound(marketCap))) return false;
    const row = columns.length;
    if (assets !== null) assets.push(row, asset);
    // Written here rather than through columns.push: a call not inlined would box the three doubles.
    if (row === columns.day.length) columns.reserve(2 * row);
    columns.day[row] = day;
    columns.price[row] = price;
    columns.volume[row] = volume;
    columns.marketCap[row] = marketCap;
    columns.length = row + 1;
  }
  return true;
}

/** The end of the field starting at `pos`: its comma, or the CR or LF ending its line. */
function fieldEndFrom(bytes: Uint8Array, pos: number): number {
  let i = pos;
  for (;;) {
    const c = bytes[i];
    if (c === COMMA || c === LF || c === CR) return i;
    i++;
  }
}

/**
 * One worker's task: the whole lines `bytes[start, end)` of a read buffer (transferred, not copied),
 * with the header's field roles. `last`: the file's final bytes, whose last line may lack its '\n'.
 */
export interface ScanTask {
  buffer: ArrayBuffer;
  start: number;
  end: number;
  last: boolean;
  roles: number[];
  crlf: boolean;
}

/**
 * A task's rows (buffers transferred), or ok: false when a line is not plainly valid. With an asset
 * column, the range's own name table (AssetTable, lines counted from the range's start) and its
 * physical line count, for the main thread to merge in file order.
 */
export type ScanTaskResult =
  | ({ ok: true; rows: number; day: Int32Array; price: Float64Array; volume: Float64Array; marketCap: Float64Array } & (
      | { lines: number; assets: AssetTable }
      | { assets?: undefined }
    ))
  | { ok: false };

/**
 * The data lines of one region after the header, exactly as the single-threaded scan treats them:
 * the same byte checks (NUL, quote, UTF-8, a CR in an LF file) and `scanLines`. False: not plainly valid.
 */
export function scanRegion(
  region: Buffer,
  roles: Int8Array,
  crlf: boolean,
  last: boolean,
  columns: DailyColumnsBuilder,
  assets: AssetColumn | null = null,
): boolean {
  if (region.indexOf(0) !== -1 || !isUtf8(region)) return false;
  const quoted = region.indexOf(QUOTE) !== -1;
  if (quoted && assets === null) return false;
  if (!crlf && region.indexOf(CR) !== -1) return false;
  const bytes = terminated(region, last, crlf);
  return scanLines(bytes, 0, bytes.length, roles, crlf, columns, assets, quoted);
}

/**
 * The bytes with the file's last line ended as its other lines are, when it lacks its '\n' (csv-parse
 * reads it the same): a copy, once a file. Every line the scanner reads then ends with a line feed.
 */
function terminated(bytes: Buffer, last: boolean, crlf: boolean): Buffer {
  if (!last || bytes.length === 0 || bytes[bytes.length - 1] === LF) return bytes;
  return Buffer.concat([bytes, Buffer.from(crlf ? '\r\n' : '\n', 'latin1')]);
}

/** The worker side of a task (csvscanWorker.ts): parse, then post the columns back. */
export function runScanTask(task: ScanTask): { result: ScanTaskResult; transfer: ArrayBuffer[] } {
  const region = Buffer.from(task.buffer, task.start, task.end - task.start);
  const roles = Int8Array.from(task.roles);
  const assets = roles.includes(ASSET) ? new AssetColumn(0) : null;
  const capacity = Math.ceil(region.length / 40) + 16;
  const columns = new DailyColumnsBuilder(capacity);
  assets?.reserve(capacity);
  if (!scanRegion(region, roles, task.crlf, task.last, columns, assets)) return { result: { ok: false }, transfer: [] };
  const rows = columns.length;
  // The builder's own arrays, not trimmed copies: the main thread reads their first `rows` (takeOldest).
  const { day, price, volume, marketCap } = columns;
  const transfer = [day.buffer, price.buffer, volume.buffer, marketCap.buffer] as ArrayBuffer[];
  if (assets === null) return { result: { ok: true, rows, day, price, volume, marketCap }, transfer };
  const table = assets.finish(rows);
  transfer.push(table.assetOf.buffer as ArrayBuffer);
  return { result: { ok: true, rows, day, price, volume, marketCap, lines: assets.line, assets: table }, transfer };
}

/** A worker thread and its tasks in flight (it answers them in the order they were posted). */
class ScanWorker {
  private readonly worker = startWorker(import.meta.url, './csvScanWorker.ts', 'csvscan-worker.js');
  private readonly waiting: ((result: ScanTaskResult) => void)[] = [];
  private dead = false;

  constructor() {
    this.worker.on('message', (result: ScanTaskResult) => this.waiting.shift()?.(result));
    // A worker that fails (or cannot start) answers ok: false; the file is then scanned in this thread.
    const fail = () => {
      this.dead = true;
      for (const resolve of this.waiting.splice(0)) resolve({ ok: false });
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  run(task: ScanTask): Promise<ScanTaskResult> {
    if (this.dead) return Promise.resolve({ ok: false });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.postMessage(task, [task.buffer]);
    });
  }

  /**
   * After the scan: hash the file on this worker (fileHash.ts), which then stops; it does not keep the
   * process alive meanwhile.
   */
  hash(file: string, identity: FileIdentity): () => string {
    this.worker.unref();
    return hashInBackground(file, identity, (task) => this.worker.postMessage(task), () => this.stop());
  }

  stop(): void {
    void this.worker.terminate();
  }
}

/**
 * The same scan with the parsing on `threads` workers. This thread reads the file once, chunk by
 * chunk, hands each chunk's whole lines to the next worker in turn, and appends the returned columns
 * in file order; then one worker hashes the file while the caller goes on (fileHash.ts: `sha256` is a
 * getter that waits for it). The header is read
 * here, as the single-threaded scan reads it. Null whenever any part is not plainly valid: the caller
 * then scans in one thread, which returns the same result or steps aside for csv-parse's message.
 */
export async function scanInParallel(
  file: string,
  identity: FileIdentity,
  threads: number,
  chunkBytes: number,
  acceptHeader?: (names: string[]) => boolean,
  progress?: ReadProgress,
): Promise<ScanResult | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  const workers = Array.from({ length: threads }, () => new ScanWorker());
  try {
    const out = new DailyColumnsBuilder();
    const results: (Promise<ScanTaskResult> | null)[] = [];
    let appended = 0;
    let sized = false;
    let firstTaskBytes = 0;
    let roles: number[] | null = null;
    let assets: AssetColumn | null = null;
    /** The line before the next task's first (the header is line 1). */
    let lineBase = 1;
    let crlf = false;
    let carry: Buffer = Buffer.alloc(0);
    let bytesRead = 0;
    const taskBytes: number[] = [];
    let appendedBytes = 0;
    const maxInFlight = 2 * threads;

    // The oldest task's rows onto the columns; false if it failed.
    const takeOldest = async (): Promise<boolean> => {
      const result = await results[appended]!;
      results[appended] = null;
      appended++;
      if (!result.ok) return false;
      const rows = result.rows;
      if (!sized) {
        // Size the columns from the first task's rows per byte (the single-threaded scan does the same).
        out.reserve(Math.ceil((identity.size / firstTaskBytes) * rows * 1.02) + 16);
        assets?.reserve(out.day.length);
        sized = true;
      }
      if (out.length + rows > out.day.length) out.reserve(Math.max(2 * out.day.length, out.length + rows));
      if (result.assets !== undefined) {
        assets!.reserve(out.day.length);
        assets!.append(result.assets, rows, out.length, lineBase);
        lineBase += result.lines;
      }
      out.day.set(result.day.subarray(0, rows), out.length);
      out.price.set(result.price.subarray(0, rows), out.length);
      out.volume.set(result.volume.subarray(0, rows), out.length);
      out.marketCap.set(result.marketCap.subarray(0, rows), out.length);
      out.length += rows;
      appendedBytes += taskBytes[appended - 1];
      if (appendedBytes < identity.size) progress?.read(out.length, Math.min(BEFORE_THE_END, appendedBytes / identity.size));
      return true;
    };

    for (;;) {
      // A fresh buffer per chunk: it is transferred to a worker.
      const buffer = Buffer.from(new ArrayBuffer(chunkBytes));
      carry.copy(buffer, 0);
      const { bytesRead: got } = await handle.read(buffer, carry.length, buffer.length - carry.length, null);
      bytesRead += got;
      const filled = carry.length + got;
      const atEnd = got === 0;
      const end = atEnd ? filled : buffer.lastIndexOf(LF, filled - 1) + 1;
      if (end === 0) {
        if (filled === buffer.length) return null; // a line longer than the buffer
        if (!atEnd) {
          carry = Buffer.from(buffer.subarray(0, filled));
          continue;
        }
        break;
      }
      let start = 0;
      if (roles === null) {
        if (buffer[0] === BOM[0] && buffer[1] === BOM[1] && buffer[2] === BOM[2]) start = 3;
        const headerEnd = buffer.indexOf(LF, start);
        if (headerEnd === -1 || headerEnd >= end) return null;
        const header = buffer.subarray(start, headerEnd + 1);
        // A quoted header name: csv-parse unquotes it (a data line's quotes are the workers' to check).
        if (header.indexOf(0) !== -1 || header.indexOf(QUOTE) !== -1 || !isUtf8(header)) return null;
        crlf = headerEnd > start && buffer[headerEnd - 1] === CR;
        const names = buffer.subarray(start, crlf ? headerEnd - 1 : headerEnd).toString('utf8');
        const headerRoleList = headerRoles(names);
        if (headerRoleList === null) return null;
        if (acceptHeader !== undefined && !acceptHeader(names.split(','))) return null;
        roles = Array.from(headerRoleList);
        if (headerRoleList.includes(ASSET)) assets = new AssetColumn(1);
        start = headerEnd + 1;
      }
      carry = Buffer.from(buffer.subarray(end, filled));
      if (start < end) {
        const task: ScanTask = { buffer: buffer.buffer as ArrayBuffer, start, end, last: atEnd, roles, crlf };
        const index = results.length;
        results.push(workers[index % threads].run(task));
        taskBytes.push(end - start);
        if (firstTaskBytes === 0) firstTaskBytes = end - start;
      }
      while (results.length - appended >= maxInFlight) if (!(await takeOldest())) return null;
      if (atEnd) break;
    }
    while (appended < results.length) if (!(await takeOldest())) return null;
    if (bytesRead !== identity.size || out.length === 0) return null;
    progress?.read(out.length, 1);
    const result = { file, columns: out.finish(), rowsRead: out.length, ...assets?.finish(out.length) } as ScanResult;
    const hasher = workers.pop()!; // not stopped below: it stops once it has hashed
    return Object.defineProperty(result, 'sha256', { get: hasher.hash(file, identity), enumerable: true, configurable: true });
  } finally {
    for (const worker of workers) worker.stop();
    await handle.close();
  }
}
