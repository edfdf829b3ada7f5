/**
 * Snappy compression (the raw block format Parquet's SNAPPY codec uses; google/snappy's
 * format_description.txt), for the Parquet writer (parquetfile.ts).
 *
 * The algorithm is the reference compressor's: the input in 64 KiB blocks, a hash table of 4-byte
 * sequences per block, literals between matches, and its "skip" heuristic: after 32 probes without a
 * match the probe step grows by one every 32 probes, so incompressible data (most of the predictions'
 * doubles) costs a few thousand probes per block and one memcpy-like copy of the literal.
 *
 * Hand-written because the npm packages are either native add-ons (`snappy`: a prebuilt binary per
 * platform, which the esbuild bundle cannot inline) or decompress only (hyparquet's).
 */

const BLOCK_SIZE = 1 << 16;
/** The reference's kInputMarginBytes: no match search in a block's last 15 bytes. */
const INPUT_MARGIN = 15;
const MAX_HASH_BITS = 14;

/** An upper bound of the compressed size of `length` bytes (the reference's MaxCompressedLength). */
export function maxCompressedLength(length: number): number {
  return 32 + length + Math.floor(length / 6);
}

function load32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/** Compresses `input` into a new array holding exactly the snappy stream. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(input.length));
  return out.subarray(0, snappyCompressInto(input, out, 0));
}

let sharedTable: Uint16Array | null = null;

/**
 * Compresses `input` into `out` from `outOffset` (room for maxCompressedLength(input.length) bytes
 * needed) and returns the offset after the stream.
 */
export function snappyCompressInto(input: Uint8Array, out: Uint8Array, outOffset: number): number {
  let op = outOffset;
  // Preamble: the uncompressed length as a varint.
  let n = input.length;
  while (n >= 0x80) {
    out[op++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[op++] = n;

  const table = (sharedTable ??= new Uint16Array(1 << MAX_HASH_BITS));
  for (let blockStart = 0; blockStart < input.length; blockStart += BLOCK_SIZE) {
    const blockEnd = Math.min(blockStart + BLOCK_SIZE, input.length);
    op = compressBlock(input, blockStart, blockEnd, out, op, table);
  }
  return op;
}

function compressBlock(input: Uint8Array, base: number, end: number, out: Uint8Array, op: number, table: Uint16Array): number {
  const length = end - base;
  let hashBits = 8;
  while (hashBits < MAX_HASH_BITS && 1 << hashBits < length) hashBits++;
  const shift = 32 - hashBits;
  table.fill(0, 0, 1 << hashBits);
  const hash = (value: number) => Math.imul(value, 0x1e35a7bd) >>> shift;

  let nextEmit = base;
  if (length >= INPUT_MARGIN) {
    const ipLimit = end - INPUT_MARGIN;
    let ip = base + 1;
    let nextHash = hash(load32(input, ip));
    search: for (;;) {
      // Find a 4-byte match, probing ever more sparsely while none turns up.
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip++ >> 5);
        if (nextIp > ipLimit) break search;
        nextHash = hash(load32(input, nextIp));
        candidate = base + table[h];
        table[h] = ip - base;
      } while (load32(input, ip) !== load32(input, candidate));

      op = emitLiteral(input, nextEmit, ip, out, op);
      // Emit copies for as long as the next position also matches.
      let matchHere: boolean;
      do {
        const start = ip;
        let matched = 4;
        while (ip + matched < end && input[candidate + matched] === input[ip + matched]) matched++;
        ip += matched;
        op = emitCopy(out, op, start - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) break search;
        table[hash(load32(input, ip - 1))] = ip - 1 - base;
        const h = hash(load32(input, ip));
        candidate = base + table[h];
        table[h] = ip - base;
        matchHere = load32(input, ip) === load32(input, candidate);
      } while (matchHere);
      ip++;
      nextHash = hash(load32(input, ip));
    }
  }
  if (nextEmit < end) op = emitLiteral(input, nextEmit, end, out, op);
  return op;
}

function emitLiteral(input: Uint8Array, from: number, to: number, out: Uint8Array, op: number): number {
  const length = to - from;
  if (length === 0) return op;
  const n = length - 1;
  if (n < 60) {
    out[op++] = n << 2;
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  if (length < 16) {
    for (let i = 0; i < length; i++) out[op + i] = input[from + i];
  } else {
    out.set(input.subarray(from, to), op);
  }
  return op + length;
}

/** A copy of `length` bytes from `offset` back (offset < 64 KiB: matches never leave their block). */
function emitCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  while (length >= 68) {
    op = emitCopy2(out, op, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    op = emitCopy2(out, op, offset, 60);
    length -= 60;
  }
  if (length < 12 && offset < 2048) {
    out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
    return op;
  }
  return emitCopy2(out, op, offset, length);
}

function emitCopy2(out: Uint8Array, op: number, offset: number, length: number): number {
  out[op++] = 2 | ((length - 1) << 2);
  out[op++] = offset & 0xff;
  out[op++] = offset >>> 8;
  return op;
}
