/**
 * A Parquet file writer for flat tables of DATE and DOUBLE columns (what the predictions are), writing the
 * format directly (apache/parquet-format: parquet.thrift, Encodings.md) instead of going through Arrow
 * IPC and parquet-wasm.
 *
 * Layout: `PAR1`, per row group and column one chunk of data pages (format v1: RLE definition levels,
 * then the non-null values PLAIN, the page snappy-compressed), the FileMetaData footer in Thrift's
 * compact protocol, its length, `PAR1`. Every column is OPTIONAL (as Spark writes them); a NaN in a
 * DOUBLE column is written as null. Each chunk carries statistics (null count, min and max) and the
 * footer the type-defined column order, as pyarrow and Spark write them.
 *
 * Why not dictionary encoding: the doubles here are nearly all distinct, so a dictionary page only adds
 * a pass and a fallback; PLAIN values are the column's own bytes (little-endian), compressed as they lie.
 */
import { maxCompressedLength, snappyCompressInto } from './snappy.js';

export type ParquetColumn =
  | { name: string; type: 'date'; values: Int32Array }
  | { name: string; type: 'double'; values: Float64Array };

export interface ParquetWriteOptions {
  /** Rows per row group (default 1,048,576). */
  rowGroupRows?: number;
  /** Rows per data page (default 131,072: about 1 MiB of doubles, the page size most writers aim at). */
  pageRows?: number;
  /** Page compression (default snappy). */
  compression?: 'snappy' | 'none';
  /** The footer's created_by. */
  createdBy?: string;
}

// parquet.thrift enum values.
const TYPE_INT32 = 1;
const TYPE_DOUBLE = 5;
const REPETITION_OPTIONAL = 1;
const CONVERTED_DATE = 6;
const ENCODING_PLAIN = 0;
const ENCODING_RLE = 3;
const CODEC_UNCOMPRESSED = 0;
const CODEC_SNAPPY = 1;
const PAGE_DATA = 0;

// Thrift compact protocol field types.
const CT_I16 = 4;
const CT_I32 = 5;
const CT_I64 = 6;
const CT_BINARY = 8;
const CT_LIST = 9;
const CT_STRUCT = 12;

/** Thrift compact protocol output (only what the Parquet structures need). */
class CompactWriter {
  private bytes = new Uint8Array(1024);
  length = 0;
  private lastField: number[] = [0];

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.bytes[this.length++] = b;
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }

  private zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  private fieldHeader(id: number, type: number): void {
    const last = this.lastField[this.lastField.length - 1];
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.lastField[this.lastField.length - 1] = id;
  }

  i32(id: number, value: number): this {
    this.fieldHeader(id, CT_I32);
    this.zigzag(value);
    return this;
  }

  i64(id: number, value: number): this {
    this.fieldHeader(id, CT_I64);
    this.zigzag(value);
    return this;
  }

  i16(id: number, value: number): this {
    this.fieldHeader(id, CT_I16);
    this.zigzag(value);
    return this;
  }

  binary(id: number, value: Uint8Array): this {
    this.fieldHeader(id, CT_BINARY);
    this.varint(value.length);
    this.ensure(value.length);
    this.bytes.set(value, this.length);
    this.length += value.length;
    return this;
  }

  string(id: number, value: string): this {
    return this.binary(id, new TextEncoder().encode(value));
  }

  struct(id: number, body: (w: this) => void): this {
    this.fieldHeader(id, CT_STRUCT);
    this.lastField.push(0);
    body(this);
    this.stop();
    return this;
  }

  /** A list field of `items.length` elements of `elementType`, each written by `write`. */
  list<T>(id: number, elementType: number, items: readonly T[], write: (w: this, item: T) => void): this {
    this.fieldHeader(id, CT_LIST);
    if (items.length < 15) this.byte((items.length << 4) | elementType);
    else {
      this.byte(0xf0 | elementType);
      this.varint(items.length);
    }
    for (const item of items) write(this, item);
    return this;
  }

  /** A struct as a list element: its fields, then stop. */
  element(body: (w: this) => void): void {
    this.lastField.push(0);
    body(this);
    this.stop();
  }

  /** A string as a list element. */
  elementString(value: string): void {
    const bytes = new TextEncoder().encode(value);
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** An i32 as a list element. */
  elementI32(value: number): void {
    this.zigzag(value);
  }

  /** Ends the current struct. */
  stop(): void {
    this.byte(0);
    if (this.lastField.length > 1) this.lastField.pop();
  }

  /** The bytes of the outermost struct, closed with its stop byte. */
  end(): Uint8Array {
    this.byte(0);
    return this.bytes.slice(0, this.length);
  }
}

interface ChunkMeta {
  column: ParquetColumn;
  codec: number;
  rowCount: number;
  nullCount: number;
  min: Uint8Array | null;
  max: Uint8Array | null;
  dataPageOffset: number;
  uncompressedSize: number;
  compressedSize: number;
}

function littleEndian(type: ParquetColumn['type'], value: number): Uint8Array {
  const bytes = new Uint8Array(type === 'date' ? 4 : 8);
  const view = new DataView(bytes.buffer);
  if (type === 'date') view.setInt32(0, value, true);
  else view.setFloat64(0, value, true);
  return bytes;
}

/** The file being assembled: one buffer, grown by doubling. */
class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  write(piece: Uint8Array): void {
    this.reserve(piece.length);
    this.bytes.set(piece, this.length);
    this.length += piece.length;
  }
}

function hasNaN(values: Float64Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (values[i] !== values[i]) return true;
  return false;
}

/**
 * Rows [from, to) as a v1 page body into `page` from 0: the definition levels (RLE runs: 1 = present,
 * 0 = null; bit width 1) behind their 4-byte length, then the non-null values PLAIN (little-endian).
 * Returns the body's length and the nulls.
 */
function pageBody(column: ParquetColumn, from: number, to: number, page: Uint8Array): { length: number; nulls: number } {
  const rows = to - from;
  const values = column.values;
  let at = 4;
  const varint = (n: number) => {
    while (n >= 0x80) {
      page[at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    page[at++] = n;
  };
  let nulls = 0;
  if (column.type === 'date' || !hasNaN(column.values, from, to)) {
    varint(rows * 2); // one RLE run header (count << 1) and its value
    page[at++] = 1;
    new DataView(page.buffer, page.byteOffset).setUint32(0, at - 4, true);
    const bytes = new Uint8Array(values.buffer, values.byteOffset + from * values.BYTES_PER_ELEMENT, rows * values.BYTES_PER_ELEMENT);
    page.set(bytes, at);
    return { length: at + bytes.length, nulls };
  }
  const doubles = column.values;
  let runValue = doubles[from] !== doubles[from] ? 0 : 1;
  let runLength = 0;
  for (let i = from; i < to; i++) {
    const level = doubles[i] !== doubles[i] ? 0 : 1;
    if (level === runValue) runLength++;
    else {
      varint(runLength * 2);
      page[at++] = runValue;
      runValue = level;
      runLength = 1;
    }
  }
  varint(runLength * 2);
  page[at++] = runValue;
  new DataView(page.buffer, page.byteOffset).setUint32(0, at - 4, true);
  const view = new DataView(page.buffer, page.byteOffset);
  for (let i = from; i < to; i++) {
    const v = doubles[i];
    if (v !== v) nulls++;
    else {
      view.setFloat64(at, v, true);
      at += 8;
    }
  }
  return { length: at, nulls };
}

/** [min, max] of rows [from, to), nulls (NaN) left out; [Infinity, -Infinity] when all are null. */
function range(values: Int32Array | Float64Array, from: number, to: number): [number, number] {
  return values instanceof Float64Array ? rangeOfDoubles(values, from, to) : rangeOfInts(values, from, to);
}

function rangeOfDoubles(values: Float64Array, from: number, to: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v; // NaN compares false both ways
  }
  return [min, max];
}

function rangeOfInts(values: Int32Array, from: number, to: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Writes `columns` (equal lengths) as a Parquet file. */
export function encodeParquet(columns: readonly ParquetColumn[], options: ParquetWriteOptions = {}): Uint8Array {
  const rows = columns.length === 0 ? 0 : columns[0].values.length;
  for (const c of columns) {
    if (c.values.length !== rows) throw new Error(`column ${c.name} has ${c.values.length} rows, ${columns[0].name} has ${rows}`);
  }
  const rowGroupRows = options.rowGroupRows ?? 1 << 20;
  const pageRows = options.pageRows ?? 1 << 17;
  if (!(Number.isInteger(rowGroupRows) && rowGroupRows >= 1 && Number.isInteger(pageRows) && pageRows >= 1)) {
    throw new RangeError(`row group and page sizes must be positive integers, got ${rowGroupRows} and ${pageRows}`);
  }
  const snappy = (options.compression ?? 'snappy') === 'snappy';

  // Room for every value, levels and headers: snappy rarely shrinks doubles, so this is about the file.
  const sink = new ByteSink(64 * 1024 + Math.ceil(rows * columns.length * 8 * 1.02));
  sink.write(MAGIC);
  const pageCapacity = 16 + 8 * Math.min(pageRows, Math.max(rows, 1)) * 3;
  const page = new Uint8Array(pageCapacity);
  const compressed = new Uint8Array(maxCompressedLength(pageCapacity));
  const rowGroups: { rows: number; chunks: ChunkMeta[] }[] = [];
  let groupStart = 0;
  do {
    const groupEnd = Math.min(rows, groupStart + rowGroupRows);
    const chunks: ChunkMeta[] = [];
    for (const column of columns) {
      const meta: ChunkMeta = {
        column,
        codec: snappy ? CODEC_SNAPPY : CODEC_UNCOMPRESSED,
        rowCount: groupEnd - groupStart,
        nullCount: 0,
        min: null,
        max: null,
        dataPageOffset: sink.length,
        uncompressedSize: 0,
        compressedSize: 0,
      };
      let pageStart = groupStart;
      do {
        const pageEnd = Math.min(groupEnd, pageStart + pageRows);
        const body = pageBody(column, pageStart, pageEnd, page);
        meta.nullCount += body.nulls;
        const plain = page.subarray(0, body.length);
        const stored = snappy ? compressed.subarray(0, snappyCompressInto(plain, compressed, 0)) : plain;
        const header = new CompactWriter()
          .i32(1, PAGE_DATA)
          .i32(2, plain.length)
          .i32(3, stored.length)
          .struct(5, (w) => w.i32(1, pageEnd - pageStart).i32(2, ENCODING_PLAIN).i32(3, ENCODING_RLE).i32(4, ENCODING_RLE))
          .end();
        sink.write(header);
        sink.write(stored);
        meta.uncompressedSize += header.length + plain.length;
        meta.compressedSize += header.length + stored.length;
        pageStart = pageEnd;
      } while (pageStart < groupEnd);
      if (meta.nullCount < meta.rowCount) {
        let [min, max] = range(column.values, groupStart, groupEnd);
        // parquet.thrift: a zero min is written as -0.0 and a zero max as +0.0.
        if (column.type === 'double' && min === 0) min = -0;
        if (column.type === 'double' && max === 0) max = 0;
        meta.min = littleEndian(column.type, min);
        meta.max = littleEndian(column.type, max);
      }
      chunks.push(meta);
    }
    rowGroups.push({ rows: groupEnd - groupStart, chunks });
    groupStart = groupEnd;
  } while (groupStart < rows);

  const footer = fileMetaData(columns, rows, rowGroups, options.createdBy ?? 'pricecast');
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, footer.length, true);
  tail.set(MAGIC, 4);
  sink.write(footer);
  sink.write(tail);
  return sink.bytes.subarray(0, sink.length);
}

const MAGIC = new TextEncoder().encode('PAR1');

function fileMetaData(
  columns: readonly ParquetColumn[],
  rows: number,
  rowGroups: { rows: number; chunks: ChunkMeta[] }[],
  createdBy: string,
): Uint8Array {
  const w = new CompactWriter();
  w.i32(1, 1); // version
  w.list(2, CT_STRUCT, [null, ...columns], (w, column) =>
    w.element((w) => {
      if (column === null) {
        w.string(4, 'schema').i32(5, columns.length);
        return;
      }
      w.i32(1, column.type === 'date' ? TYPE_INT32 : TYPE_DOUBLE).i32(3, REPETITION_OPTIONAL).string(4, column.name);
      if (column.type === 'date') w.i32(6, CONVERTED_DATE).struct(10, (w) => w.struct(6, () => {}));
    }),
  );
  w.i64(3, rows);
  w.list(4, CT_STRUCT, rowGroups, (w, group) =>
    w.element((w) => {
      w.list(1, CT_STRUCT, group.chunks, (w, chunk) =>
        w.element((w) => {
          w.i64(2, chunk.dataPageOffset);
          w.struct(3, (w) => {
            w.i32(1, chunk.column.type === 'date' ? TYPE_INT32 : TYPE_DOUBLE);
            w.list(2, CT_I32, [ENCODING_PLAIN, ENCODING_RLE], (w, e) => w.elementI32(e));
            w.list(3, CT_BINARY, [chunk.column.name], (w, name) => w.elementString(name));
            w.i32(4, chunk.codec);
            w.i64(5, chunk.rowCount);
            w.i64(6, chunk.uncompressedSize);
            w.i64(7, chunk.compressedSize);
            w.i64(9, chunk.dataPageOffset);
            w.struct(12, (w) => {
              w.i64(3, chunk.nullCount);
              if (chunk.max !== null && chunk.min !== null) w.binary(5, chunk.max).binary(6, chunk.min);
            });
          });
        }),
      );
      const uncompressed = group.chunks.reduce((sum, c) => sum + c.uncompressedSize, 0);
      const compressed = group.chunks.reduce((sum, c) => sum + c.compressedSize, 0);
      w.i64(2, uncompressed).i64(3, group.rows);
      if (group.chunks.length > 0) w.i64(5, group.chunks[0].dataPageOffset);
      w.i64(6, compressed).i16(7, rowGroups.indexOf(group));
    }),
  );
  w.string(6, createdBy);
  // column_orders: TypeDefinedOrder for every column, so readers use min_value/max_value.
  w.list(7, CT_STRUCT, columns, (w) => w.element((w) => w.struct(1, () => {})));
  return w.end();
}
