/**
 * Inputs as vendors ship them (docs/input.md#layouts) through the engine's ingest (readDailyInput +
 * prepareDaily): layouts by header, the daily date forms, thousands separators, the --missing policies,
 * Parquet input. Each file here is written out by hand so the expected columns can be read off it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useScratchFolder } from '../../helpers/scratch.js';
import { InputError } from '../../../src/engine/errors.js';
import { prepareDaily, readDailyInput, type IngestOptions } from '../../../src/engine/ingest/input.js';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { ROOT } from '../../helpers/cli.js';

const MS_PER_DAY = 86_400_000;
const dayOf = (text: string) => Date.parse(`${text}T00:00:00Z`) / MS_PER_DAY;

const scratch = useScratchFolder('inputs');
const file = scratch.file;

/** Read + sort/dedupe + --missing, as the pipeline does; the rows as plain arrays. */
async function ingest(content: string, options: IngestOptions = {}) {
  const path = await file(content);
  const read = await readDailyInput(path, options);
  const { deduped, missing } = prepareDaily(read, options.missing);
  return {
    layout: read.layout,
    missing,
    day: Array.from(deduped.columns.day),
    price: Array.from(deduped.columns.price),
    volume: Array.from(deduped.columns.volume),
    marketCap: Array.from(deduped.columns.marketCap),
  };
}

async function refused(content: string, options: IngestOptions = {}): Promise<InputError> {
  const error = await ingest(content, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message.split('\n')).toHaveLength(1);
  return error as InputError;
}

describe('layouts, recognised by header', () => {
  it('CoinGecko export: snapped_at at midnight UTC, market_cap and total_volume', async () => {
    const rows = await ingest(
      'snapped_at,price,market_cap,total_volume\n' +
        '2013-04-28 00:00:00 UTC,135.3,1500517590,0\n' +
        '2013-04-29 00:00:00 UTC,141.96,1575032004.0,12.5\n',
    );
    expect(rows.layout).toBe('coingecko');
    expect(rows.day).toEqual([dayOf('2013-04-28'), dayOf('2013-04-29')]);
    expect(rows.price).toEqual([135.3, 141.96]);
    expect(rows.marketCap).toEqual([1500517590, 1575032004]);
    expect(rows.volume).toEqual([0, 12.5]);
  });

  it('CoinMarketCap: newest first, "Sep 05, 2017", Close is the price, thousands separators', async () => {
    const rows = await ingest(
      'Date,Open,High,Low,Close,Volume,Market Cap\n' +
        '"Sep 05, 2017",0.1,0.2,0.05,0.1575,"1,551,050","12,345,678,901"\n' +
        '"Sep 4, 2017",0.1,0.2,0.05,0.15,"900",1000\n',
    );
    expect(rows.layout).toBe('coinmarketcap');
    expect(rows.day).toEqual([dayOf('2017-09-04'), dayOf('2017-09-05')]);
    expect(rows.price).toEqual([0.15, 0.1575]);
    expect(rows.volume).toEqual([900, 1551050]);
    expect(rows.marketCap).toEqual([1000, 12345678901]);
  });

  it('--columns for any other layout; a column the features do not need may be absent', async () => {
    const yahoo = 'Date,Open,High,Low,Close,Adj Close,Volume\n2021-01-01,1,1,1,1.5,1.5,100\n2021-01-02,1,1,1,2.5,2.5,200\n';
    const rows = await ingest(yahoo, { columns: 'date=Date,price=Close,volume=Volume', required: ['price', 'volume'] });
    expect(rows.layout).toBe('columns');
    expect(rows.price).toEqual([1.5, 2.5]);
    expect(rows.volume).toEqual([100, 200]);
    expect(rows.marketCap.every(Number.isNaN)).toBe(true);
    // With marketCap needed (the default feature spec), the same mapping is refused, naming it.
    const error = await refused(yahoo, { columns: 'date=Date,price=Close,volume=Volume' });
    expect(error.line).toBe(1);
    expect(error.message).toContain('marketCap=?');
  });

  it('the fields a feature spec needs: volume for volume indicators, marketCap only by name', async () => {
    const { requiredInputs } = await import('../../../src/engine/ingest/input.js');
    expect(requiredInputs([{ fn: 'price' }, { fn: 'rsi' }])).toEqual(['price']);
    expect(requiredInputs([{ fn: 'price' }, { fn: 'on_balance_volume' }])).toEqual(['price', 'volume']);
    expect(requiredInputs([{ fn: 'marketCap' }, { fn: 'volume' }])).toEqual(['price', 'volume', 'marketCap']);
  });

  it('an unrecognised header lists the recognised layouts and --columns', async () => {
    const error = await refused('Day,Value\n2021-01-01,1\n');
    expect(error.line).toBe(1);
    for (const word of ['pricecast', 'coingecko', 'coinmarketcap', 'snapped_at', 'Market Cap', '--columns']) {
      expect(error.message).toContain(word);
    }
  });

  it('a header with two layouts is refused, not guessed; --format picks one', async () => {
    const both = 'date,price,volume,marketCap,snapped_at,market_cap,total_volume\n2021-01-01,1,2,3,2021-01-05 00:00:00 UTC,30,20\n';
    const error = await refused(both);
    expect(error.message).toMatch(/pricecast and coingecko.*--format/);
    expect((await ingest(both, { format: 'pricecast' })).day).toEqual([dayOf('2021-01-01')]);
    expect((await ingest(both, { format: 'coingecko' })).day).toEqual([dayOf('2021-01-05')]);
  });
});

describe('dates and numbers', () => {
  it.each([
    ['2021-02-03'],
    ['2021-02-03 00:00:00 UTC'],
    ['2021-02-03T00:00:00Z'],
    ['"Feb 03, 2021"'],
    ['"Feb 3, 2021"'],
    ['2021-02-03 12:00:00 UTC'],
    ['2021-02-03T00:00:01Z'],
    ['2021-02-03 23:59:59'],
    ['2021-02-04T00:30:00+01:00'],
    ['2021-02-02T23:30:00-01:00'],
  ])('%s is 2021-02-03', async (text) => {
    const rows = await ingest(`date,price,volume,marketCap\n${text},1,2,3\n`);
    expect(rows.day).toEqual([dayOf('2021-02-03')]);
  });

  it.each([
    ['2021-02-03 24:00:00 UTC', /that exists/],
    ['2021-02-03T00:60:00Z', /that exists/],
    ['02/03/2021', /YYYY-MM-DD/],
    ['"Feb 30, 2021"', /that exists/],
    ['2021-02-03T00:00:00 EST', /YYYY-MM-DD/],
  ])('%s is refused (%s)', async (text, pattern) => {
    const error = await refused(`date,price,volume,marketCap\n2021-02-02,1,2,3\n${text},1,2,3\n`);
    expect(error.line).toBe(3);
    expect(error.column).toBe('date');
    expect(error.message).toMatch(pattern);
  });

  // Spark cannot read back Parquet dates before the Gregorian reform without a rebase.
  it.each([
    ['the fast path', '1582-10-14,1,2,3\n'],
    ['the csv-parse path', '1582-10-14,"1",2,3\n'],
    ['another layout', '"Oct 14, 1582",1,2,3\n'],
  ])('a date before 1582-10-15 is refused (%s), one line', async (_path, row) => {
    const error = await refused(`date,price,volume,marketCap\n1582-10-15,1,2,3\n${row}`);
    expect(error.line).toBe(3);
    expect(error.message).toContain('1582-10-15');
    expect((await ingest('date,price,volume,marketCap\n1582-10-15,1,2,3\n')).day).toEqual([dayOf('1582-10-15')]);
  });

  it('thousands separators: refused in the contract layout, accepted with --thousands , or in CoinMarketCap', async () => {
    const text = 'date,price,volume,marketCap\n2021-01-01,"1,234.5",2,"1,000,000"\n';
    const error = await refused(text);
    expect(error.column).toBe('price');
    const rows = await ingest(text, { thousands: ',' });
    expect(rows.price).toEqual([1234.5]);
    expect(rows.marketCap).toEqual([1e6]);
    // Groups of three only: "1,23" is not a number with separators.
    expect((await refused('date,price,volume,marketCap\n2021-01-01,"1,23",2,3\n', { thousands: ',' })).value).toBe('1,23');
  });
});

describe('--missing, after sort and dedupe', () => {
  // Written in shuffled file order; 01-03's first row is replaced by a later, complete one.
  const FILE =
    'date,price,volume,marketCap\n' +
    '2021-01-04,4,40,\n' +
    '2021-01-01,1,10,100\n' +
    '2021-01-03,3,-,300\n' +
    '2021-01-02,2,,-\n' +
    '2021-01-03,3.5,35,350\n';

  it('error (the default) names the first missing cell in date order, its line, and the flag', async () => {
    const error = await refused(FILE);
    expect(error.line).toBe(5); // 2021-01-02, the earliest date with a missing cell (01-03's was replaced)
    expect(error.column).toBe('volume');
    expect(error.value).toBe('');
    expect(error.message).toContain('--missing');
  });

  it('previous carries each column\'s last value in date order', async () => {
    const rows = await ingest(FILE, { missing: 'previous' });
    expect(rows.day).toEqual(['2021-01-01', '2021-01-02', '2021-01-03', '2021-01-04'].map(dayOf));
    expect(rows.volume).toEqual([10, 10, 35, 40]);
    expect(rows.marketCap).toEqual([100, 100, 350, 350]);
    expect(rows.missing).toEqual({ policy: 'previous', cells: { price: 0, volume: 1, marketCap: 2 }, rowsDropped: 0 });
  });

  it('zero fills 0; drop removes the day; both count per column', async () => {
    const zero = await ingest(FILE, { missing: 'zero' });
    expect(zero.volume).toEqual([10, 0, 35, 40]);
    expect(zero.marketCap).toEqual([100, 0, 350, 0]);
    const drop = await ingest(FILE, { missing: 'drop' });
    expect(drop.day).toEqual(['2021-01-01', '2021-01-03'].map(dayOf));
    expect(drop.price).toEqual([1, 3.5]);
    expect(drop.missing).toEqual({ policy: 'drop', cells: { price: 0, volume: 1, marketCap: 2 }, rowsDropped: 2 });
  });

  it('previous with nothing before, and zero for a price, are bad input', async () => {
    const first = await refused('date,price,volume,marketCap\n2021-01-02,2,20,200\n2021-01-01,1,-,100\n', { missing: 'previous' });
    expect([first.line, first.column]).toEqual([3, 'volume']);
    const price = await refused('date,price,volume,marketCap\n2021-01-01,1,10,100\n2021-01-02,,20,200\n', { missing: 'zero' });
    expect([price.line, price.column]).toEqual([3, 'price']);
  });

  it('a missing cell in a column the features do not need is left alone', async () => {
    const rows = await ingest('date,price,volume,marketCap\n2021-01-01,1,10,\n', { required: ['price', 'volume'] });
    expect(rows.missing.cells.marketCap).toBe(0);
    expect(Number.isNaN(rows.marketCap[0])).toBe(true);
  });
});

describe('Parquet input', () => {
  it('a Spark-layout folder and its part file read as the rows they hold', async () => {
    // The engine's own output folder holds date, price, volume, marketCap: a valid Parquet input.
    const out = join(scratch.dir, 'as-input');
    const first = await runPipeline({ input: join(ROOT, 'fixtures', 'default.csv'), output: out });
    const read = await readDailyInput(out);
    expect(read.layout).toBe('parquet (pricecast)');
    const { deduped } = prepareDaily(read);
    expect(Array.from(deduped.columns.day)).toEqual(Array.from(first.predictions.day));
    expect(Array.from(deduped.columns.price)).toEqual(Array.from(first.predictions.price as Float64Array));
    expect(Array.from(deduped.columns.marketCap)).toEqual(Array.from(first.predictions.marketCap as Float64Array));
  });

  it('Spark\'s own multi-part folder (fixtures/spark-output): every part, in name order', async () => {
    const read = await readDailyInput(join(ROOT, 'fixtures', 'spark-output'));
    const { deduped } = prepareDaily(read);
    // Day d of January 2021 has price d, volume 10d, marketCap 100d (fixtures/README.md).
    expect(Array.from(deduped.columns.day)).toEqual([1, 2, 3, 4, 5, 6, 7].map((d) => dayOf(`2021-01-0${d}`)));
    expect(Array.from(deduped.columns.volume)).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(Array.from(deduped.columns.marketCap)).toEqual([100, 200, 300, 400, 500, 600, 700]);
  });
});
