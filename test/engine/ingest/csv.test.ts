/**
 * CSV ingest: the valid spellings of one small table all read the same, and each bad input in
 * fixtures/bad names the line, column and value a person would point at.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDailyCsv } from '../../../src/engine/ingest/csv.js';
import { InputError } from '../../../src/engine/errors.js';
import { prepareDaily } from '../../../src/engine/ingest/input.js';
import { ROOT } from '../../helpers/cli.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const BAD = join(ROOT, 'fixtures', 'bad');
const MS_PER_DAY = 86_400_000;
const dayOf = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / MS_PER_DAY;

const scratch = useScratchFolder('csv');
async function csvFile(name: string, content: string | Buffer): Promise<string> {
  const file = join(scratch.dir, name);
  await writeFile(file, content);
  return file;
}

/** Read, then sort/dedupe and --missing (its default, error), as the pipeline does. */
async function inputError(file: string): Promise<InputError> {
  const error = await readDailyCsv(file).then(
    (read) => prepareDaily(read),
  ).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

/**
 * One table, in file order: unsorted, 2021-01-02 twice. Written out by hand in every valid spelling
 * below; the expected columns are the same rows, typed out again.
 */
const ROWS = [
  ['2021-01-03', '1.5', '100', '1000'],
  ['2021-01-01', '1.25', '0', '0'],
  ['2021-01-02', '2', '3e-05', '2.5E+3'],
  ['2021-01-02', '+2.125', '-0', '1e3'],
];
const EXPECTED = {
  day: [dayOf(2021, 1, 3), dayOf(2021, 1, 1), dayOf(2021, 1, 2), dayOf(2021, 1, 2)],
  price: [1.5, 1.25, 2, 2.125],
  volume: [100, 0, 0.00003, -0],
  marketCap: [1000, 0, 2500, 1000],
};

function lines(rows: string[][], eol = '\n', finalNewline = true): string {
  const text = rows.map((r) => r.join(',')).join(eol);
  return finalNewline ? text + eol : text;
}

const HEADER = ['date', 'price', 'volume', 'marketCap'];
const VARIANTS: Array<[string, string | Buffer]> = [
  ['plain LF', lines([HEADER, ...ROWS])],
  ['no final newline', lines([HEADER, ...ROWS], '\n', false)],
  ['CRLF', lines([HEADER, ...ROWS], '\r\n')],
  ['CRLF, no final newline', lines([HEADER, ...ROWS], '\r\n', false)],
  ['UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines([HEADER, ...ROWS]))])],
  ['every field quoted', lines([HEADER, ...ROWS].map((r) => r.map((f) => `"${f}"`)))],
  ['reordered columns', lines([HEADER, ...ROWS].map((r) => [r[3], r[0], r[2], r[1]]))],
  [
    'extra columns, quoted with commas, escaped quotes and a line break',
    lines([
      ['symbol', ...HEADER, 'note'],
      ...ROWS.map((r, i) => ['ALGO', ...r, i === 1 ? '"says ""hi"", then\nleaves"' : '"a, b"']),
    ]),
  ],
  ['blank lines between and after rows', `${lines([HEADER, ROWS[0], ROWS[1]])}\n${lines([ROWS[2], ROWS[3]])}\n\n`],
];

describe('readDailyCsv: valid input', () => {
  it.each(VARIANTS)('%s reads as the same columns, in file order', async (name, content) => {
    const file = await csvFile(`${name.replace(/\W+/g, '-')}.csv`, content);
    const result = await readDailyCsv(file);
    expect(result.rowsRead).toBe(4);
    expect(result.file).toBe(file);
    expect(Array.from(result.columns.day)).toEqual(EXPECTED.day);
    expect(Array.from(result.columns.price)).toEqual(EXPECTED.price);
    expect(Array.from(result.columns.volume)).toEqual(EXPECTED.volume);
    expect(Array.from(result.columns.marketCap)).toEqual(EXPECTED.marketCap);
    expect(result.columns.day).toBeInstanceOf(Int32Array);
    expect(result.columns.price).toBeInstanceOf(Float64Array);
  });

  it('hashes the raw bytes (BOM and CRLF included)', async () => {
    const content = VARIANTS[4][1];
    const file = await csvFile('hash.csv', content);
    const expected = createHash('sha256').update(await readFile(file)).digest('hex');
    expect((await readDailyCsv(file)).sha256).toBe(expected);
    expect(expected).not.toBe(createHash('sha256').update(lines([HEADER, ...ROWS])).digest('hex'));
  });

  it('accepts numbers in plain and exponent form, keeps 0 marketCap and full precision', async () => {
    const file = await csvFile(
      'numbers.csv',
      lines([HEADER, ['2021-01-01', '0.1', '1.', '.5'], ['2021-01-02', '1.7976931348623157e308', '5e-324', '0.30000000000000004']]),
    );
    const { columns } = await readDailyCsv(file);
    expect(Array.from(columns.price)).toEqual([0.1, Number.MAX_VALUE]);
    expect(Array.from(columns.volume)).toEqual([1, Number.MIN_VALUE]);
    expect(Array.from(columns.marketCap)).toEqual([0.5, 0.1 + 0.2]);
  });

  it('reads many rows (buffers grow past their first size) and a UTF-8 character cut by a read chunk', async () => {
    // Rows of a fixed width so that a two-byte "é" in the note column straddles the 1 MiB read boundary.
    const head = 'date,price,volume,marketCap,note\n';
    const rows: string[] = [];
    let bytes = head.length;
    let day = dayOf(2000, 1, 1);
    const start = day;
    while (bytes < (1 << 20) + 200 || rows.length <= 1 << 16) {
      const date = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
      const prefix = `${date},${day - start + 1},${day % 7},${(day % 5) * 10},`;
      // Pick the note so that, when this row crosses 2^20, the "é" starts exactly at byte 2^20 - 1.
      const crossing = bytes + prefix.length < 1 << 20 && bytes + prefix.length + 40 >= 1 << 20;
      const pad = crossing ? (1 << 20) - 1 - bytes - prefix.length : 0;
      const row = `${prefix}${'x'.repeat(pad)}${crossing ? 'é' : 'e'}\n`;
      rows.push(row);
      bytes += Buffer.byteLength(row);
      day++;
    }
    const content = head + rows.join('');
    expect(Buffer.from(content).subarray((1 << 20) - 1, (1 << 20) + 1)).toEqual(Buffer.from('é'));
    const result = await readDailyCsv(await csvFile('many.csv', content));
    expect(result.rowsRead).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(1 << 16); // past the first buffer capacity
    expect(result.columns.day[rows.length - 1]).toBe(start + rows.length - 1);
    expect(result.columns.price[rows.length - 1]).toBe(rows.length);
  });
});

describe('readDailyCsv: bad input (fixtures/bad)', () => {
  // [file, line, column, value]: where a person reading the file would point.
  const CASES: Array<[string, number, string | null, string | null]> = [
    ['missing-column.csv', 1, 'marketCap', 'date,price,volume'],
    ['empty.csv', 0, null, null],
    ['header-only.csv', 0, null, null],
    ['price-not-a-number.csv', 4, 'price', 'abc'],
    ['volume-nan.csv', 4, 'volume', 'NaN'],
    ['price-infinity.csv', 4, 'price', 'Infinity'],
    ['volume-empty.csv', 4, 'volume', ''],
    ['marketcap-overflow.csv', 4, 'marketCap', '1e999'],
    ['price-hex.csv', 4, 'price', '0x1A'],
    ['price-decimal-comma.csv', 4, 'price', '1,6'],
    ['volume-space-inside.csv', 4, 'volume', '1 200'],
    ['date-feb-30.csv', 4, 'date', '2021-02-30'],
    ['date-not-padded.csv', 4, 'date', '2021-2-3'],
    ['date-text.csv', 4, 'date', 'yesterday'],
    ['date-before-gregorian.csv', 4, 'date', '1582-10-14'],
    ['date-hour-25.csv', 4, 'date', '2021-01-03 25:00:00 UTC'],
    ['price-zero.csv', 4, 'price', '0'],
    ['price-negative.csv', 4, 'price', '-1.6'],
    ['volume-negative.csv', 4, 'volume', '-1200'],
    ['marketcap-negative.csv', 4, 'marketCap', '-6500'],
    ['ragged-row.csv', 4, null, '2021-01-03,1.6,1200'],
    ['unclosed-quote.csv', 4, 'price', null],
    ['duplicate-header.csv', 1, 'price', 'price'],
    ['nul-bytes.csv', 4, 'note', '\u0000\u0000\u0000'],
    ['invalid-utf8.csv', 4, 'note', 'caf\uFFFD'],
  ];

  it.each(CASES)('%s: line %d, column %s, value %j', async (name, line, column, value) => {
    const file = join(BAD, name);
    const error = await inputError(file);
    expect(error.file).toBe(file);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.value).toBe(value);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message.startsWith(line > 0 ? `${file}:${line}:` : `${file}:`)).toBe(true);
    if (column !== null) expect(error.message).toContain(`column ${column}:`);
    if (value !== null) expect(error.message).toContain(JSON.stringify(value));
  });

  it('covers every file in fixtures/bad', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(BAD)).filter((f) => f.endsWith('.csv')).sort()).toEqual(CASES.map((c) => c[0]).sort());
  });

  it.each([
    ['empty.csv', /empty/],
    ['header-only.csv', /only a header/],
    ['missing-column.csv', /missing marketCap/],
    ['ragged-row.csv', /4 fields as in the header, found 3/],
    ['unclosed-quote.csv', /never closed/],
    ['duplicate-header.csv', /appears twice/],
    ['nul-bytes.csv', /NUL byte .*not a UTF-8 text CSV/],
    ['invalid-utf8.csv', /not a UTF-8 text CSV/],
    ['price-zero.csv', /price > 0/],
    ['volume-empty.csv', /missing value.*--missing/],
    ['date-before-gregorian.csv', /on or after 1582-10-15/],
    ['date-hour-25.csv', /a date that exists, written YYYY-MM-DD/],
    ['volume-negative.csv', /volume >= 0/],
    ['marketcap-negative.csv', /marketCap >= 0/],
  ])('%s says what is wrong (%s)', async (name, pattern) => {
    expect((await inputError(join(BAD, name))).message).toMatch(pattern);
  });
});

describe('readDailyCsv: line numbers and other failures', () => {
  it('counts quoted line breaks and blank lines when naming a later line', async () => {
    const file = await csvFile(
      'lines.csv',
      'date,price,volume,marketCap,note\n2021-01-01,1,1,1,"two\nlines"\n\n2021-01-02,1,1,1,ok\r\n2021-01-03,oops,1,1,ok\n',
    );
    // Line 1 header, 2-3 the first row, 4 blank, 5 the second row, 6 the bad one.
    const error = await inputError(file);
    expect(error.line).toBe(6);
    expect(error.value).toBe('oops');
  });

  it('names an invalid quote at its line and column', async () => {
    const error = await inputError(await csvFile('quote.csv', 'date,price,volume,marketCap\n2021-01-01,1,1,1\n2021-01-02,"1"x,1,1\n'));
    expect(error.line).toBe(3);
    expect(error.column).toBe('price');
  });

  it('a missing file is an InputError saying so', async () => {
    const error = await inputError(join(scratch.dir, 'nope.csv'));
    expect(error.message).toMatch(/no such file/);
  });

  it('lists every missing column', async () => {
    const error = await inputError(await csvFile('missing2.csv', 'Day,price,volume\n2021-01-01,1,1\n'));
    expect(error.column).toBe('date, marketCap');
    expect(error.message).toContain('missing date, marketCap');
  });
});
