/**
 * The parallel CSV scan (csvscan.ts: line ranges parsed on worker threads) against the
 * single-threaded scan it stands in for: on valid files, columns bit for bit, row count and sha256
 * the same, and the parallel path really taken (scanInParallel is not null); on a bad row, wherever it
 * falls relative to a range boundary, readDailyCsv throws the same one-line message as csv-parse's path.
 * The bundle (build.mjs) must find its worker: checked by running the bundled scan.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useScratchFolder } from '../../helpers/scratch.js';
import { generateDailyCsv } from '../../../fixtures/generate.js';
import { readDailyCsv, readDailyCsvWithCsvParse } from '../../../src/engine/ingest/csv.js';
import { PARALLEL_MIN_BYTES, scanInParallel, scanPlainCsv } from '../../../src/engine/ingest/csvScan.js';
import { fileIdentity } from '../../../src/engine/ingest/fileHash.js';
import type { IngestResult } from '../../../src/engine/types.js';
import { ROOT } from '../../helpers/cli.js';

const SMALL_CHUNK = 16 << 10;
const DEFAULT_CHUNK = 4 << 20;
const scratch = useScratchFolder('csvscan-parallel');
const file = scratch.file;

function generated(rows: number, seed: number): string {
  const chunks: string[] = [];
  generateDailyCsv({ rows, seed }, (chunk) => chunks.push(chunk));
  return chunks.join('');
}

/** A seeded stream of uniform [0, 1) numbers (xorshift32), so a failing case can be rerun. */
function uniform(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The same value written another way the decimal grammar allows, chosen at random. */
function respell(value: string, next: () => number): string {
  const x = Number(value);
  switch (Math.floor(next() * 8)) {
    case 0:
      return x.toExponential(Math.floor(next() * 17)); // rounded to fewer digits, e-notation
    case 1:
      return x.toPrecision(1 + Math.floor(next() * 21)); // up to 21 significant digits
    case 2:
      return `+${value}`;
    case 3:
      return `000${value}`;
    case 4:
      return `${value}${'0'.repeat(Math.floor(next() * 6))}${value.includes('.') ? '' : '.'}`;
    case 5:
      return `${value.replace('.', '')}e-${value.includes('.') ? value.length - value.indexOf('.') - 1 : 0}`;
    case 6: // 20-25 significant digits: beyond the fast path's 19, so parseDecimal's fallback
      return `${Math.floor(x)}.${Array.from({ length: 20 }, () => Math.floor(next() * 10)).join('')}`;
    default:
      return value;
  }
}

/** Generated rows with every number respelled at random. */
function variedDecimals(rows: number, seed: number): string {
  const next = uniform(seed);
  const lines = generated(rows, seed).split('\n');
  return lines
    .map((line, i) => (i === 0 || line === '' ? line : line.split(',').map((v, f) => (f === 0 ? v : respell(v, next))).join(',')))
    .join('\n');
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function expectSame(parallel: IngestResult | null, single: IngestResult | null): void {
  expect(parallel).not.toBeNull();
  expect(single).not.toBeNull();
  expect(parallel!.rowsRead).toBe(single!.rowsRead);
  expect(parallel!.sha256).toBe(single!.sha256);
  for (const key of ['day', 'price', 'volume', 'marketCap'] as const) {
    expect(parallel!.columns[key].length, key).toBe(single!.rowsRead);
    expect(sameBits(parallel!.columns[key], single!.columns[key]), key).toBe(true);
  }
}

/** Parallel (small ranges, so many boundaries) vs single-threaded, and the hash vs the file's own. */
async function expectParallelSameAsSingle(content: string | Buffer, chunkBytes = SMALL_CHUNK): Promise<void> {
  const path = await file(content);
  const parallel = await scanInParallel(path, await fileIdentity(path), 2, chunkBytes);
  const single = await scanPlainCsv(path, undefined, { threads: 0 });
  expectSame(parallel, single);
  expect(parallel!.sha256).toBe(createHash('sha256').update(await readFile(path)).digest('hex'));
}

describe('the parallel scan on valid files: the same as the single-threaded scan', () => {
  it('generated rows, ranges of 16 KiB and of 4 KiB + 1 byte', async () => {
    const content = generated(20_000, 11);
    await expectParallelSameAsSingle(content);
    await expectParallelSameAsSingle(content, (4 << 10) + 1);
  });

  it('varied decimals: exponents, signs, leading and trailing zeros, 20+ significant digits', async () => {
    const content = variedDecimals(30_000, 5);
    expect(content).toMatch(/e-/); // the respelling happened
    await expectParallelSameAsSingle(content);
  });

  it('CRLF, a BOM, columns in another order, an extra non-ASCII column, blank lines; no final newline', async () => {
    const next = uniform(9);
    const rows = generated(15_000, 2)
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [date, price, volume, marketCap] = line.split(',');
        return `${next() < 0.5 ? 'Algorand — ALGO' : 'ünïcödé'},${marketCap},${date},${volume},${price}${next() < 0.01 ? '\r\n' : ''}`;
      });
    const content = `\uFEFFname,marketCap,date,volume,price\r\n${rows.join('\r\n')}\r\n`;
    await expectParallelSameAsSingle(content);
    // No final newline (an LF file: the single-threaded scan leaves an unterminated CRLF line to csv-parse).
    await expectParallelSameAsSingle(generated(15_000, 8).trimEnd());
  });

  it('a quoted field: both step aside, and readDailyCsv gives csv-parse path result', async () => {
    const lines = generated(5_000, 4).split('\n');
    lines[4_000] = lines[4_000].replace(/,([^,]+)$/, ',"$1"');
    const path = await file(lines.join('\n'));
    expect(await scanInParallel(path, await fileIdentity(path), 2, SMALL_CHUNK)).toBeNull();
    expect(await scanPlainCsv(path, undefined, { threads: 0 })).toBeNull();
    const read = await readDailyCsv(path);
    const reference = await readDailyCsvWithCsvParse(path);
    expect(sameBits(read.columns.price, reference.columns.price)).toBe(true);
  });
});

describe('files large enough for the workers (the default path of readDailyCsv)', () => {
  // Enough rows to pass PARALLEL_MIN_BYTES, so readDailyCsv itself takes the parallel path.
  let big: string;
  beforeAll(() => {
    big = generated(160_000, 17);
    expect(Buffer.byteLength(big)).toBeGreaterThan(PARALLEL_MIN_BYTES);
  });

  it('valid: readDailyCsv (parallel) equals csv-parse path, bit for bit', async () => {
    const path = await file(big);
    expect(await scanInParallel(path, await fileIdentity(path), 2, DEFAULT_CHUNK)).not.toBeNull();
    const read = await readDailyCsv(path);
    const reference = await readDailyCsvWithCsvParse(path);
    expectSame(read, reference);
  });

  // The first range of 4 MiB ends at the last line feed before byte 4 MiB; a bad row just before it,
  // just after it, and one in the last range: the first bad row in file order is the one reported.
  const BAD_ROWS: [string, (lines: string[], boundary: number) => void][] = [
    ['the last row of the first range', (lines, b) => (lines[b - 1] = lines[b - 1].replace(/,[^,]+,/, ',-1,'))],
    ['the first row of the second range', (lines, b) => (lines[b] = lines[b].replace(/^[^,]+/, '2021-02-30'))],
    ['a later range, with another bad row after it', (lines, b) => {
      lines[b + 1] = `${lines[b + 1]},extra`;
      lines[lines.length - 3] = lines[lines.length - 3].replace(/,[^,]+$/, ',abc');
    }],
    ['the last row of a range and a later row', (lines, b) => {
      lines[b - 1] = lines[b - 1].replace(/,[^,]+$/, ',1e');
      lines[b + 5] = lines[b + 5].replace(/,[^,]+,/, ',-1,');
    }],
  ];
  it.each(BAD_ROWS)('a bad row: %s', async (_name, spoil) => {
    const lines = big.split('\n');
    // The line index of the first row of the second range.
    const boundaryByte = Buffer.from(big).lastIndexOf(10, DEFAULT_CHUNK - 1) + 1;
    const boundary = Buffer.from(big).subarray(0, boundaryByte).toString('latin1').split('\n').length - 1;
    spoil(lines, boundary);
    const path = await file(lines.join('\n'));
    expect(await scanInParallel(path, await fileIdentity(path), 2, DEFAULT_CHUNK)).toBeNull();
    const reference = await readDailyCsvWithCsvParse(path).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(reference).not.toBeNull();
    await expect(readDailyCsv(path)).rejects.toThrow(reference!);
  });
});

describe('the bundle finds its worker', () => {
  it('a bundled scan (csvscan-worker beside it, as build.mjs names it) takes the parallel path', async () => {
    const out = join(ROOT, '.cache', `test-csvscan-bundle-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const entry = join(out, 'entry.mts');
      const data = await file(generated(20_000, 3));
      await writeFile(join(scratch.dir, 'entry.mts'), [
        `import { fileIdentity } from ${JSON.stringify(join(ROOT, 'src/engine/ingest/fileHash.ts'))};`,
        `import { scanInParallel, scanPlainCsv } from ${JSON.stringify(join(ROOT, 'src/engine/ingest/csvScan.ts'))};`,
        `const path = ${JSON.stringify(data)};`,
        `const parallel = await scanInParallel(path, await fileIdentity(path), 2, ${SMALL_CHUNK});`,
        `const single = await scanPlainCsv(path, undefined, { threads: 0 });`,
        `console.log(JSON.stringify({ parallel: parallel?.sha256 ?? null, single: single?.sha256, rows: parallel?.rowsRead,`,
        `  sum: parallel ? Array.from(parallel.columns.price).reduce((a, b) => a + b, 0) : null,`,
        `  singleSum: Array.from(single.columns.price).reduce((a, b) => a + b, 0) }));`,
      ].join('\n'));
      const script = [
        `import { build } from 'esbuild';`,
        `await build({ entryPoints: { entry: ${JSON.stringify(join(scratch.dir, 'entry.mts'))}, 'csvscan-worker': 'src/engine/ingest/csvScanWorker.ts' },`,
        `  outdir: ${JSON.stringify(out)}, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });`,
      ].join('\n');
      const built = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
      expect(built.stderr).toBe('');
      const run = spawnSync(process.execPath, [join(out, 'entry.js')], { cwd: scratch.dir, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      const printed = JSON.parse(run.stdout);
      expect(printed.parallel).not.toBeNull();
      expect(printed.parallel).toBe(printed.single);
      expect(printed.rows).toBe(20_001);
      expect(printed.sum).toBe(printed.singleSum);
      void entry;
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('build.mjs bundles the worker as dist/csvscan-worker.js', async () => {
    const source = await readFile(join(ROOT, 'build.mjs'), 'utf8');
    expect(source).toMatch(/'csvscan-worker': 'src\/engine\/ingest\/csvScanWorker\.ts'/);
  });
});
