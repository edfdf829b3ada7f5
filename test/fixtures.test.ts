/**
 * The seeded generator: same seed, same bytes; the quirks are there (and only there); the series
 * looks like daily crypto data; fixtures/default.csv is exactly what the generator makes for the
 * documented parameters; the CLI writes the same bytes as the function.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDailyCsv } from '../src/engine/csv.js';
import { parseDay } from '../src/engine/dates.js';
import {
  CSV_HEADER,
  DEFAULT_DATASET,
  generateDailyCsv,
  SeededRandom,
  type GenerateOptions,
} from '../fixtures/generate.js';
import { BUNDLED_EXAMPLES, generateVendorCsv, monthDayYear, withThousands } from '../fixtures/vendors.js';
import { ROOT } from './helpers/cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pricecast-fixtures-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function generate(options: GenerateOptions) {
  const chunks: string[] = [];
  const quirks = generateDailyCsv(options, (chunk) => chunks.push(chunk));
  const text = chunks.join('');
  const rows = text.trimEnd().split('\n').slice(1).map((line) => line.split(','));
  return { text, chunks, quirks, rows };
}

function logReturns(prices: number[]): number[] {
  return prices.slice(1).map((p, i) => Math.log(p / prices[i]));
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('generateDailyCsv', () => {
  it('is deterministic: the same seed gives the same bytes, another seed others', () => {
    const a = generate({ rows: 500, seed: 7 }).text;
    expect(generate({ rows: 500, seed: 7 }).text).toBe(a);
    expect(generate({ rows: 500, seed: 8 }).text).not.toBe(a);
  });

  it('writes the header, consecutive dates from startDate and numbers that read back exactly', () => {
    const { text, rows, quirks } = generate({ rows: 40, seed: 3, startDate: '2020-02-27', repeatedDate: false, zeroMarketCap: false });
    expect(text.startsWith(`${CSV_HEADER}\n`)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(rows).toHaveLength(40);
    expect(quirks).toEqual({ repeatedDay: null, zeroMarketCapDay: null, dataRows: 40 });
    expect(rows.slice(0, 4).map((r) => r[0])).toEqual(['2020-02-27', '2020-02-28', '2020-02-29', '2020-03-01']);
    rows.forEach((r, i) => expect(parseDay(r[0])).toBe(parseDay('2020-02-27') + i));
    for (const r of rows) {
      for (const field of r.slice(1)) expect(String(Number(field))).toBe(field);
      expect(Number(r[1])).toBeGreaterThan(0);
      expect(Number(r[2])).toBeGreaterThan(0);
      expect(Number(r[3])).toBeGreaterThan(0);
    }
  });

  it('inserts one repeated date (a later, slightly different partial-day row) and one zero marketCap', () => {
    const { rows, quirks } = generate({ rows: 300, seed: 11 });
    expect(rows).toHaveLength(301);
    expect(quirks.dataRows).toBe(301);

    const dates = rows.map((r) => r[0]);
    const repeated = dates.filter((d, i) => dates.indexOf(d) !== i);
    expect(repeated).toHaveLength(1);
    const first = dates.indexOf(repeated[0]);
    expect(dates[first + 1]).toBe(repeated[0]); // appended right after the day's row
    expect(first).toBe(quirks.repeatedDay);
    const [day, snapshot] = [rows[first], rows[first + 1]];
    expect(snapshot[1]).not.toBe(day[1]);
    expect(Math.abs(Number(snapshot[1]) / Number(day[1]) - 1)).toBeLessThan(0.05);
    expect(Number(snapshot[2])).toBeLessThan(Number(day[2])); // part of the day's volume

    const zeros = rows.map((r, i) => [r[3], i] as const).filter(([cap]) => cap === '0');
    expect(zeros).toHaveLength(1);
    expect(zeros[0][1]).toBe(quirks.zeroMarketCapDay);
  });

  it('without quirks gives the same rows minus the quirks', () => {
    const withQuirks = generate({ rows: 300, seed: 11 });
    const without = generate({ rows: 300, seed: 11, repeatedDate: false, zeroMarketCap: false });
    const { repeatedDay, zeroMarketCapDay } = withQuirks.quirks;
    const expected = withQuirks.rows.filter((_r, i) => i !== repeatedDay! + 1);
    expect(without.rows).toHaveLength(300);
    without.rows.forEach((r, i) => {
      if (i === zeroMarketCapDay) {
        expect(r.slice(0, 3)).toEqual(expected[i].slice(0, 3));
        expect(Number(r[3])).toBeGreaterThan(0);
      } else if (r.join() !== expected[i].join()) {
        expect(r).toEqual(expected[i]);
      }
    });
  });

  it('looks like daily crypto data: ~5% daily volatility, volume rising with |return|, growing supply', () => {
    const { rows, quirks } = generate({ rows: 2000, seed: 5, repeatedDate: false });
    const prices = rows.map((r) => Number(r[1]));
    const returns = logReturns(prices);
    const sd = Math.sqrt(mean(returns.map((r) => r * r)) - mean(returns) ** 2);
    expect(sd).toBeGreaterThan(0.035);
    expect(sd).toBeLessThan(0.07);
    const volumes = rows.slice(1).map((r) => Number(r[2]));
    expect(correlation(volumes, returns.map(Math.abs))).toBeGreaterThan(0.3);
    // marketCap / price is the circulating supply: never shrinking (the zero-marketCap day aside).
    const supply = rows.map((r) => Number(r[3]) / Number(r[1])).filter((_s, i) => i !== quirks.zeroMarketCapDay);
    for (let i = 1; i < supply.length; i++) expect(supply[i]).toBeGreaterThanOrEqual(supply[i - 1] * (1 - 1e-12));
    expect(supply[supply.length - 1]).toBeGreaterThan(supply[0] * 1.5);
  });

  it('writes in chunks of about 64K characters (constant memory for any size)', () => {
    const { chunks, text } = generate({ rows: 20_000, seed: 1 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.length).toBeLessThan(70_000);
    expect(chunks.join('')).toBe(text);
  });

  it('refuses dates past 9999-12-31 and bad options', () => {
    expect(() => generateDailyCsv({ rows: 3, seed: 1, startDate: '9999-12-30' }, () => {})).toThrow(/run past 9999-12-31.*at most 2 rows/);
    expect(() => generateDailyCsv({ rows: 0, seed: 1 }, () => {})).toThrow(RangeError);
    expect(() => generateDailyCsv({ rows: 5, seed: 1, startDate: '2021-02-30' }, () => {})).toThrow(RangeError);
  });

  it('reads back through readDailyCsv with the same rows', async () => {
    const { text, rows } = generate({ rows: 100, seed: 2 });
    const file = join(work, 'g.csv');
    await (await import('node:fs/promises')).writeFile(file, text);
    const { columns, rowsRead } = await readDailyCsv(file);
    expect(rowsRead).toBe(101);
    expect(Array.from(columns.price)).toEqual(rows.map((r) => Number(r[1])));
    expect(Array.from(columns.marketCap)).toEqual(rows.map((r) => Number(r[3])));
  });
});

describe('SeededRandom', () => {
  it('gives uniform doubles in [0, 1) and standard normals', () => {
    const random = new SeededRandom(99);
    const uniforms = Array.from({ length: 50_000 }, () => random.nextDouble());
    expect(Math.min(...uniforms)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniforms)).toBeLessThan(1);
    expect(Math.abs(mean(uniforms) - 0.5)).toBeLessThan(0.01);
    const normals = Array.from({ length: 50_000 }, () => random.nextNormal());
    expect(Math.abs(mean(normals))).toBeLessThan(0.02);
    expect(Math.abs(mean(normals.map((z) => z * z)) - 1)).toBeLessThan(0.03);
  });

  it('is mulberry32: the first outputs for seed 1 match an independent transcription of the C original', () => {
    // Computed with a Python transcription of Tommy Ettinger's C mulberry32 (uint32 arithmetic with
    // explicit masking), not with this code:
    //   s += 0x6D2B79F5; z = s; z = (z ^ z>>15) * (z|1); z ^= z + (z ^ z>>7) * (z|61); return z ^ z>>14
    const random = new SeededRandom(1);
    expect([random.nextUint32(), random.nextUint32(), random.nextUint32()]).toEqual([2693262067, 11749833, 2265367787]);
  });
});

describe('fixtures/default.csv', () => {
  it('is exactly the generator output for 1,000 days from 2019-06-20, seed 42, with both quirks', async () => {
    expect(DEFAULT_DATASET).toEqual({ rows: 1000, seed: 42, startDate: '2019-06-20' });
    const onDisk = await readFile(join(ROOT, 'fixtures', 'default.csv'), 'utf8');
    const { text, quirks } = generate(DEFAULT_DATASET);
    expect(onDisk === text).toBe(true);
    expect(quirks.dataRows).toBe(1001);
    expect(quirks.repeatedDay).not.toBeNull();
    expect(quirks.zeroMarketCapDay).not.toBeNull();
    expect(onDisk.split('\n')[1].startsWith('2019-06-20,')).toBe(true);
  });

  it('the CLI writes the same bytes as the function', async () => {
    const out = join(work, 'cli.csv');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'fixtures', 'generate.ts'), '--rows', '50', '--seed', '9', '--out', out, '--no-quirks'],
        { stdio: 'ignore' },
      );
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? -1));
    });
    expect(code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(generate({ rows: 50, seed: 9, repeatedDate: false, zeroMarketCap: false }).text);
  });
});

describe('fixtures/vendors and fixtures/algorand.csv', () => {
  it.each(Object.entries(BUNDLED_EXAMPLES))('vendors/%s is exactly the vendor generator output', async (name, options) => {
    const onDisk = await readFile(join(ROOT, 'fixtures', 'vendors', name), 'utf8');
    expect(onDisk === generateVendorCsv(options)).toBe(true);
  });

  it('the vendor files hold what they stand for: their layout, dates and gaps', () => {
    const coingecko = generateVendorCsv({ layout: 'coingecko', rows: 30, seed: 1, gaps: 2 }).split('\n');
    expect(coingecko[0]).toBe('snapped_at,price,market_cap,total_volume');
    expect(coingecko[1]).toMatch(/^2019-06-20 00:00:00 UTC,1\.5,/);
    expect(coingecko.filter((line) => /UTC,[^,]+,,/.test(line))).toHaveLength(2);
    const cmc = generateVendorCsv({ layout: 'coinmarketcap', rows: 30, seed: 1 }).split('\n');
    expect(cmc[0]).toBe('Date,Open,High,Low,Close,Volume,Market Cap');
    expect(cmc[1].startsWith('"Jul 19, 2019",')).toBe(true); // newest first: day 30 from 2019-06-20
    expect(cmc[30].startsWith('"Jun 20, 2019",')).toBe(true);
    expect(withThousands(1551050000)).toBe('1,551,050,000');
    expect(monthDayYear('2017-09-05')).toBe('Sep 05, 2017');
  });

  it('algorand.csv is the original project\'s data, unchanged (../shared/data/algorandCSV.csv when present)', async () => {
    const bundled = await readFile(join(ROOT, 'fixtures', 'algorand.csv'));
    const shared = join(ROOT, '..', 'shared', 'data', 'algorandCSV.csv');
    if (existsSync(shared)) expect(bundled.equals(await readFile(shared))).toBe(true);
    const { rowsRead } = await readDailyCsv(join(ROOT, 'fixtures', 'algorand.csv'));
    expect(rowsRead).toBe(bundled.toString('utf8').trim().split('\n').length - 1);
  });
});
