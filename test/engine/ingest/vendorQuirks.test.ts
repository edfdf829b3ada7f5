/**
 * One test per quirk of the files people download (docs/input.md#layouts, #days, #missing-values,
 * #assets, #open-high-and-low), on the seeded vendor fixtures (fixtures/vendors/) and small files
 * written here: each test fails if the engine reads the quirk differently from what docs/input.md says.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateVendorCsv } from '../../../fixtures/vendors.js';
import { InputError } from '../../../src/engine/errors.js';
import { formatDay } from '../../../src/engine/ingest/dates.js';
import { prepareDaily, readDailyInput, type IngestOptions } from '../../../src/engine/ingest/input.js';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { ROOT, runCli } from '../../helpers/cli.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('vendor-quirks');
const vendor = (name: string) => join(ROOT, 'fixtures', 'vendors', name);

async function read(path: string, options: IngestOptions = {}) {
  // As a run with the default features reads it: a layout without market cap is read without it.
  const ingest = await readDailyInput(path, { marketCapOptional: true, ...options });
  const { deduped, missing } = prepareDaily(ingest, options.missing);
  return { ingest, deduped, missing, dates: Array.from(deduped.columns.day, formatDay) };
}

async function refusal(run: Promise<unknown>): Promise<InputError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message.split('\n')).toHaveLength(1);
  return error as InputError;
}

/** A contract-layout file of `days` days from 2021-01-01, with extra rows per day from `extra(t)`. */
function daily(days: number, extra: (t: number, date: string) => string[] = () => []): string {
  const lines: string[] = [];
  for (let t = 0; t < days; t++) {
    const date = new Date(Date.UTC(2021, 0, 1 + t)).toISOString().slice(0, 10);
    lines.push(`${date},${2 + Math.sin(t / 3) + t / 50},${1000 + t},${5000 + t}`, ...extra(t, date));
  }
  return `date,price,volume,marketCap\n${lines.join('\n')}\n`;
}

describe('CoinGecko: snapshots off midnight name their UTC day', () => {
  it('00:05:28 and 23:29:55 snapshots are read as their own days, no day lost or collapsed', async () => {
    const text = await readFile(vendor('coingecko-late-snapshots.csv'), 'utf8');
    const late = text.split('\n').filter((line) => / (00:05:28|23:29:55) UTC/.test(line));
    expect(late).toHaveLength(2);
    const { dates, deduped, ingest } = await read(vendor('coingecko-late-snapshots.csv'));
    expect(ingest.layout).toBe('coingecko');
    expect(dates).toHaveLength(400);
    expect(deduped.collapsedDays).toHaveLength(0);
    for (const line of late) expect(dates).toContain(line.slice(0, 10));
  });

  it('a day with several snapshots keeps the LATEST, even when it is written first; ties keep the last row', async () => {
    const path = await scratch.file(
      'snapped_at,price,market_cap,total_volume\n' +
        '2021-01-01 00:00:00 UTC,1,10,100\n' +
        '2021-01-02 23:00:00 UTC,2.5,20,200\n' + // latest of 01-02, written first
        '2021-01-02 00:00:00 UTC,2,20,200\n' +
        '2021-01-03 00:00:00 UTC,3,30,300\n' +
        '2021-01-03 00:00:00 UTC,3.5,30,300\n', // a repeated date: the last row
    );
    const { deduped } = await read(path);
    expect(Array.from(deduped.columns.price)).toEqual([1, 2.5, 3.5]);
    expect(deduped.collapsedDays).toHaveLength(2);
    expect(deduped.collapsedSnapshots).toBe(1);
  });

  it('the summary says how many days were collapsed and why', async () => {
    const path = await scratch.file(daily(60, (t, date) => (t === 10 ? [`${date}T23:00:00Z,9,9,9`] : t === 20 ? [`${date},8,8,8`] : [])));
    const run = await runCli(['predict', '--input', path, '--output', join(scratch.dir, 'out-summary')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/duplicates collapsed\s+2 \(1 repeated date: the last row kept; 1 day of several snapshots: the latest kept: 2021-01-11, 2021-01-21\)/);
  });
});

describe('not one daily series: more than 1% of the days (and at least 3) with several rows', () => {
  it('is refused, naming the count and offering --columns asset=COL', async () => {
    const path = await scratch.file(daily(200, (t, date) => (t % 50 === 7 ? [`${date},5,5,5`] : [])));
    const error = await refusal(read(path));
    expect(error.message).toContain('4 of the 200 days have several rows');
    expect(error.message).toContain('--columns asset=COL');
    expect(error.column).toBe('date');
  });

  it('4 repeated days of 400 (1%, not more) and 2 of 100 (fewer than 3) are collapsed, not refused', async () => {
    const under = await read(await scratch.file(daily(400, (t, date) => (t % 130 === 5 ? [`${date},5,5,5`] : []))));
    expect(under.deduped.collapsedDays).toHaveLength(4);
    const few = await read(await scratch.file(daily(100, (t, date) => (t % 50 === 5 ? [`${date},5,5,5`] : []))));
    expect(few.deduped.collapsedDays).toHaveLength(2);
  });

  it('hourly data is refused, not collapsed to one row a day', async () => {
    const path = await scratch.file(daily(30, (_t, date) => Array.from({ length: 23 }, (_, h) => `${date} ${String(h + 1).padStart(2, '0')}:00:00,3,3,3`)));
    expect((await refusal(read(path))).message).toContain('30 of the 30 days have several rows');
  });

  it('ten coins under one header without their asset column (--format coinmarketcap) are refused', async () => {
    const error = await refusal(read(vendor('coinmarketcap-multi-ten-coins.csv'), { format: 'coinmarketcap', missing: 'drop' }));
    expect(error.message).toMatch(/\d+ of the \d+ days have several rows.*--columns asset=COL/);
  });
});

describe('several assets are never one model', () => {
  it('the ten-coin file is a panel: one model per coin, a partition each (--missing drop)', async () => {
    const output = join(scratch.dir, 'ten-coins-out');
    const run = await runCli(['predict', '--input', vendor('coinmarketcap-multi-ten-coins.csv'), '--missing', 'drop', '--output', output]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/10 fitted, 0 skipped, of 10 in the file/);
    const report = JSON.parse(await readFile(join(output, '_model.json'), 'utf8'));
    expect(report.input.assetColumn).toBe('Currency');
    expect(report.assets.map((a: { asset: string }) => a.asset)).toEqual(['bitcoin', 'dash', 'ethereum', 'litecoin', 'monero', 'nem', 'neo', 'ripple', 'stratis', 'waves']);
    expect((await readdir(output)).filter((name) => name.startsWith('asset='))).toHaveLength(10);
  });

  it('one coin in the multi-coin layout is a one-asset file, named in the summary and _model.json', async () => {
    const output = join(scratch.dir, 'one-coin-out');
    const run = await runCli(['predict', '--input', vendor('coinmarketcap-multi-one-coin.csv'), '--missing', 'drop', '--output', output]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/asset\s+bitcoin/);
    expect(JSON.parse(await readFile(join(output, '_model.json'), 'utf8')).input.asset).toBe('bitcoin');
  });

  it('--columns asset=COL names the asset column of any file', async () => {
    const path = await scratch.file('Day,Last,Coin\n2021-01-01,1,X\n2021-01-02,2,Y\n');
    const { ingest } = await read(path, { columns: 'date=Day,price=Last,asset=Coin', required: ['price'] });
    expect(ingest.assetNames).toEqual(['X', 'Y']);
    expect(Array.from(ingest.assetOf!)).toEqual([0, 1]);
    expect(ingest.assetColumn).toBe('Coin');
  });
});

describe('Kaggle per-coin files', () => {
  it('recognised as kaggle (not CoinMarketCap), 23:59:59 is that day, 16+ digit values read as written, volume 0.0', async () => {
    const { ingest, dates, deduped } = await read(vendor('kaggle.csv'));
    expect(ingest.layout).toBe('kaggle');
    expect(ingest.asset).toBe('BTC');
    const first = (await readFile(vendor('kaggle.csv'), 'utf8')).split('\n')[1].split(',');
    expect(first[3]).toMatch(/^\d{4}-\d{2}-\d{2} 23:59:59$/);
    expect(dates[0]).toBe(first[3].slice(0, 10));
    expect(first[7].replace('.', '').length).toBeGreaterThanOrEqual(16);
    expect(deduped.columns.price[0]).toBe(Number(first[7]));
    expect(deduped.columns.volume[0]).toBe(0);
    expect(Array.from(deduped.columns.open!.subarray(0, 1))).toEqual([Number(first[6])]);
  });
});

describe('Yahoo Finance downloads', () => {
  it('recognised by its header, no line feed after the last row: every row read', async () => {
    const text = await readFile(vendor('yahoo-null-rows.csv'), 'utf8');
    expect(text.endsWith('\n')).toBe(false);
    const { ingest, dates } = await read(vendor('yahoo-null-rows.csv'), { missing: 'drop' });
    expect(ingest.layout).toBe('yahoo');
    expect(ingest.rowsRead).toBe(400);
    expect(dates[dates.length - 1]).toBe(text.slice(text.lastIndexOf('\n') + 1, text.lastIndexOf('\n') + 11));
  });

  it('a row of null is missing values: refused by default naming --missing; previous fills, drop drops', async () => {
    const error = await refusal(read(vendor('yahoo-null-rows.csv')));
    expect(error.message).toMatch(/column Close: expected a value; an empty, "-" or "null" cell .*--missing.*\(got "null"\)/);
    const filled = await read(vendor('yahoo-null-rows.csv'), { missing: 'previous' });
    expect(filled.missing.cells).toEqual({ price: 2, volume: 2, marketCap: 0 });
    expect(filled.dates).toHaveLength(400);
    const dropped = await read(vendor('yahoo-null-rows.csv'), { missing: 'drop' });
    expect(dropped.dates).toHaveLength(398);
  });

  it('null in any case is a missing value', async () => {
    const path = await scratch.file('date,price,volume,marketCap\n2021-01-01,1,2,3\n2021-01-02,2,NULL,3\n2021-01-03,3,2,Null\n');
    const { missing } = await read(path, { missing: 'zero' });
    expect(missing.cells).toEqual({ price: 0, volume: 1, marketCap: 1 });
  });

  it('no market cap: the default features run without marketCap and the summary says so; naming marketCap is bad input', async () => {
    const ok = await runPipeline({ input: vendor('yahoo.csv') });
    expect(ok.report.features).toEqual(['price', 'volume', 'rsi']);
    const run = await runCli(['predict', '--input', vendor('yahoo.csv'), '--output', join(scratch.dir, 'yahoo-out')]);
    expect(run.stdout).toMatch(/features\s+price, volume, rsi \(the yahoo layout has no market cap/);
    const error = await refusal(runPipeline({ input: vendor('yahoo.csv'), features: 'price,marketCap,rsi' }));
    expect(error.message).toMatch(/:1: column marketCap: expected a feature spec without marketCap: the yahoo layout has no market cap/);
  });
});

describe('CryptoDataDownload exports', () => {
  it('banner line skipped, unix ms and s (float) mixed, NULL tradecount, newest first, boundary day twice, partial newest day', async () => {
    const text = await readFile(vendor('cryptodatadownload.csv'), 'utf8');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('https://www.CryptoDataDownload.com');
    expect(lines.some((l) => /^\d{13},\d{4}-\d{2}-\d{2} 00:00:00,/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d{10}\.0,\d{4}-\d{2}-\d{2},.*,NULL$/.test(l))).toBe(true);
    const { ingest, deduped, dates } = await read(vendor('cryptodatadownload.csv'));
    expect(ingest.layout).toBe('cryptodatadownload');
    expect(ingest.asset).toBe('BTCUSDT');
    expect(ingest.rowsRead).toBe(401);
    expect(dates).toHaveLength(400);
    expect(dates).toEqual([...dates].sort());
    expect(Array.from(deduped.collapsedDays, formatDay)).toHaveLength(1);
    // Volume is the quote currency's (USDT), as the other vendors' volume is money.
    const newest = lines[2].split(',');
    expect(deduped.columns.volume[deduped.columns.volume.length - 1]).toBe(Number(newest[8]));
    expect(deduped.columns.price[deduped.columns.price.length - 1]).toBe(Number(newest[6]));
  });

  it('an error after the banner names the file line (the banner counts)', async () => {
    const text = generateVendorCsv({ layout: 'cryptodatadownload', rows: 30, seed: 3 }).split('\n');
    text[5] = text[5].replace(/^[^,]+/, 'soon');
    const error = await refusal(read(await scratch.file(text.join('\n'))));
    expect(error.line).toBe(6);
    expect(error.column).toBe('unix');
    expect(error.message).toContain('a unix time');
  });
});

describe('CoinMarketCap copies with Open* and Close**', () => {
  it('recognised (the stars are not part of the name), Close** is the price', async () => {
    const { ingest, deduped } = await read(vendor('coinmarketcap-starred.csv'));
    expect(ingest.layout).toBe('coinmarketcap');
    const newest = (await readFile(vendor('coinmarketcap-starred.csv'), 'utf8')).split('\n')[1];
    // The quoted date holds a comma: Close** is the sixth comma-separated piece.
    expect(deduped.columns.price[deduped.columns.price.length - 1]).toBe(Number(newest.split(',')[5]));
  });
});

describe('open, high and low', () => {
  const ohlcFile = (rows: string[]) => scratch.file(`date,price,volume,marketCap,open,high,low\n${rows.join('\n')}\n`);

  it('are read into DailyColumns when the layout has them, and carried through sort and dedupe', async () => {
    const path = await ohlcFile(['2021-01-02,2,1,1,1.5,2.5,1.4', '2021-01-01,1,1,1,1,1.2,0.9']);
    const { deduped } = await read(path);
    expect(Array.from(deduped.columns.open!)).toEqual([1, 1.5]);
    expect(Array.from(deduped.columns.high!)).toEqual([1.2, 2.5]);
    expect(Array.from(deduped.columns.low!)).toEqual([0.9, 1.4]);
  });

  it('a row where high < max(open, close) is bad input naming it; --ohlc-check off accepts and counts it', async () => {
    const path = await ohlcFile(['2021-01-01,1,1,1,1,1.2,0.9', '2021-01-02,2,1,1,1.5,1.9,1.4', '2021-01-03,2,1,1,2.5,2.6,2.1']);
    const error = await refusal(read(path));
    expect([error.line, error.column, error.value]).toEqual([3, 'high', '1.9']);
    expect(error.message).toContain('low <= min(open, close) and max(open, close) <= high');
    const accepted = await read(path, { ohlcCheck: 'off' });
    expect(accepted.ingest.ohlcInconsistentRows).toBe(2);
  });

  it('low ≤ 0 is bad input like a price ≤ 0; a missing open the run uses follows --missing', async () => {
    expect((await refusal(read(await ohlcFile(['2021-01-01,1,1,1,1,1.2,0'])))).message).toContain('a low > 0');
    const path = await ohlcFile(['2021-01-01,1,1,1,1,1.2,0.9', '2021-01-02,2,1,1,null,2.2,1.4']);
    expect((await refusal(read(path, { required: ['price', 'open', 'high', 'low'] }))).message).toContain('--missing');
    const filled = await read(path, { required: ['price', 'open', 'high', 'low'], missing: 'previous' });
    expect(Array.from(filled.deduped.columns.open!)).toEqual([1, 1]);
    expect((filled.missing.cells as Record<string, number>).open).toBe(1);
  });
});
