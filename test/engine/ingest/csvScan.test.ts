/**
 * The fast CSV scanner against the csv-parse path it stands in for: on every plainly valid file it
 * must return exactly what csv-parse's path returns (columns bit for bit, row count, sha256); on
 * anything else it must step aside (null), so that csv-parse decides and words the error.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchFolder } from '../../helpers/scratch.js';
import { generateDailyCsv } from '../../../fixtures/generate.js';
import { readDailyCsv, readDailyCsvWithCsvParse } from '../../../src/engine/ingest/csv.js';
import { scanPlainCsv } from '../../../src/engine/ingest/csvScan.js';

const scratch = useScratchFolder('csvscan');
const file = scratch.file;

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function expectSameAsCsvParse(content: string | Buffer): Promise<void> {
  const path = await file(content);
  const fast = await scanPlainCsv(path);
  const reference = await readDailyCsvWithCsvParse(path);
  expect(fast).not.toBeNull();
  expect(fast!.rowsRead).toBe(reference.rowsRead);
  expect(fast!.sha256).toBe(reference.sha256);
  for (const key of ['day', 'price', 'volume', 'marketCap'] as const) {
    expect(sameBits(fast!.columns[key], reference.columns[key]), key).toBe(true);
  }
}

describe('scanPlainCsv on valid files: the same as csv-parse', () => {
  it('a generated file of several read buffers (lines cut by every chunk boundary)', async () => {
    const chunks: string[] = [];
    generateDailyCsv({ rows: 120_000, seed: 3 }, (chunk) => chunks.push(chunk));
    await expectSameAsCsvParse(chunks.join(''));
  });

  it('CRLF, a BOM, columns in another order, extra columns with non-ASCII text, blank lines', async () => {
    await expectSameAsCsvParse(
      '\uFEFFname,marketCap,date,volume,price\r\n' +
        'Algorand — ALGO,1500000000,2021-01-02,44651909.60190199,1.5\r\n' +
        '\r\n' +
        'ünïcödé,0,2021-01-01,0,3e-05\r\n' +
        ',1e+21,2021-01-03,-0,.5\r\n',
    );
  });

  it('no newline at the end, exponents, signs, leading zeros, 19+ significant digits', async () => {
    await expectSameAsCsvParse(
      'date,price,volume,marketCap\n' +
        '2020-02-29,+2.,0.000,00012.5000\n' +
        '2020-03-01,1234567890123456789012,1E3,9007199254740993\n' +
        '2020-03-02,1.7976931348623157e308,5e-324,0.1',
    );
  });
});

describe('scanPlainCsv steps aside for csv-parse', () => {
  const header = 'date,price,volume,marketCap\n';
  it.each([
    ['a quoted field', `${header}2021-01-01,"1.5",1,1\n`],
    ['a bare CR in an LF file', `${header}2021-01-01,1.5,1,1\r\n`],
    ['an LF line in a CRLF file', `date,price,volume,marketCap\r\n2021-01-01,1.5,1,1\n`],
    ['a ragged row', `${header}2021-01-01,1.5,1\n`],
    ['a row with an extra field', `${header}2021-01-01,1.5,1,1,9\n`],
    ['a bad date', `${header}2021-02-30,1.5,1,1\n`],
    ['a zero price', `${header}2021-01-01,0,1,1\n`],
    ['a negative volume', `${header}2021-01-01,1,-1,1\n`],
    ['an overflowing marketCap', `${header}2021-01-01,1,1,1e999\n`],
    ['hex', `${header}2021-01-01,0x1A,1,1\n`],
    ['a missing column', 'date,price,volume\n2021-01-01,1,1\n'],
    ['a repeated header name', 'date,price,volume,marketCap,price\n2021-01-01,1,1,1,1\n'],
    ['a header only', header],
    ['an empty file', ''],
  ])('%s', async (_what, content) => {
    expect(await scanPlainCsv(await file(content))).toBeNull();
  });

  it('a NUL byte or bytes that are not UTF-8', async () => {
    expect(await scanPlainCsv(await file(Buffer.from(`${header}2021-01-01,1,1,1\n\0`, 'latin1')))).toBeNull();
    expect(await scanPlainCsv(await file(Buffer.concat([Buffer.from(`${header}2021-01-01,1,1,1,`), Buffer.from([0xff, 0x0a])])))).toBeNull();
  });

  it('a missing file (readDailyCsv then reports it as csv-parse path does)', async () => {
    const missing = join(scratch.dir, 'nope.csv');
    expect(await scanPlainCsv(missing)).toBeNull();
    await expect(readDailyCsv(missing)).rejects.toThrow(/no such file/);
  });
});
