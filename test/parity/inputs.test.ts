/**
 * Parity (engine vs the PySpark reference job) for inputs as vendors ship them (docs/input.md#layouts):
 * every layout and every --missing mode on small files written here, one realistic file per layout
 * (fixtures/vendors, made by fixtures/vendors.ts), Parquet input, and the refusals both halves must word
 * the same (--missing error, a date before 1582-10-15).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YAHOO_COLUMNS } from '../../fixtures/vendors.js';
import { InputError } from '../../src/engine/errors.js';
import type { IngestOptions } from '../../src/engine/ingest/input.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { formatParityReport } from '../../src/parity/compare.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runParity } from '../../src/parity/run.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';

let work: string;
beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-inputs-parity-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Options = IngestOptions & { features?: string };

async function expectParity(input: string, options: Options = {}) {
  const outcome = await runParity({
    input,
    seed: 42,
    split: 'random',
    trainRatio: 0.7,
    features: options.features ?? 'price,volume,marketCap,rsi',
    format: options.format ?? 'auto',
    columns: options.columns as string | undefined,
    thousands: options.thousands ?? undefined,
    missing: options.missing ?? 'error',
  } as Parameters<typeof runParity>[0]);
  const text = formatParityReport(outcome.report);
  expect(outcome.report.sameTestRows, text).toBe(true);
  expect(outcome.report.ok, text).toBe(true);
  return outcome;
}

/** Both halves refuse `input` with exit code 2 and the same one-line message. */
async function expectSameRefusal(input: string, options: Options = {}): Promise<string> {
  const engine = await runPipeline({ input, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(engine).toBeInstanceOf(InputError);
  const spark = await runSparkJob({ input, output: join(work, `refused-${Date.now()}`), ...options });
  expect(spark.exitCode, spark.stderr + spark.stdout).toBe(2);
  const sparkLine = spark.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop();
  expect(sparkLine).toBe((engine as InputError).message);
  return sparkLine!;
}

// ---- small files, written here: 40 days of a simple formula in each layout -----------------------------

const DAYS = 40;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Day t: price, volume and market cap (a wave, so the fit is not degenerate); missing cells listed below. */
function day(t: number) {
  const date = new Date(Date.UTC(2021, 0, 1 + t)).toISOString().slice(0, 10);
  const price = 2 + Math.sin(t / 3) + t / 20;
  return { date, price, volume: 1000 + 37 * ((t * 7) % 11), marketCap: price * (1e6 + 1000 * t) };
}
/** Missing cells: (day, field). Day 0 has none, so --missing previous can always carry a value. */
const GAPS: Array<[number, 'volume' | 'marketCap']> = [
  [5, 'marketCap'],
  [6, 'marketCap'],
  [17, 'volume'],
  [30, 'marketCap'],
];
const gapAt = (t: number, field: string) => GAPS.some(([d, f]) => d === t && f === field);

function small(layout: 'pricecast' | 'coingecko' | 'coinmarketcap' | 'columns', gaps: boolean): string {
  const days = Array.from({ length: DAYS }, (_, t) => day(t));
  const cell = (t: number, field: 'volume' | 'marketCap', text: string, blank: string) => (gaps && gapAt(t, field) ? blank : text);
  switch (layout) {
    case 'pricecast':
      return 'date,price,volume,marketCap\n' + days.map((d, t) => `${d.date},${d.price},${cell(t, 'volume', String(d.volume), '')},${cell(t, 'marketCap', String(d.marketCap), '')}`).join('\n') + '\n';
    case 'coingecko':
      return 'snapped_at,price,market_cap,total_volume\n' + days.map((d, t) => `${d.date} 00:00:00 UTC,${d.price},${cell(t, 'marketCap', String(d.marketCap), '')},${cell(t, 'volume', String(d.volume), '')}`).join('\n') + '\n';
    case 'coinmarketcap': {
      const withCommas = (x: number) => `"${Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}"`;
      const lines = days.map((d, t) => {
        const date = `"${MONTHS[Number(d.date.slice(5, 7)) - 1]} ${d.date.slice(8)}, ${d.date.slice(0, 4)}"`;
        const p = d.price.toFixed(4);
        return `${date},${p},${p},${p},${p},${cell(t, 'volume', withCommas(d.volume), '-')},${cell(t, 'marketCap', withCommas(d.marketCap), '-')}`;
      });
      return 'Date,Open,High,Low,Close,Volume,Market Cap\n' + lines.reverse().join('\n') + '\n';
    }
    case 'columns':
      return 'Day,Last,Traded,Cap,Note\n' + days.map((d, t) => `${d.date}T00:00:00Z,${d.price},${cell(t, 'volume', String(d.volume), '-')},${cell(t, 'marketCap', String(d.marketCap), '')},n${t}`).join('\n') + '\n';
  }
}
const COLUMNS = 'date=Day,price=Last,volume=Traded,marketCap=Cap';

describe.each(['pricecast', 'coingecko', 'coinmarketcap', 'columns'] as const)('the %s layout', (layout) => {
  const options: Options = layout === 'columns' ? { columns: COLUMNS } : {};
  const write = async (gaps: boolean) => {
    const file = join(work, `${layout}-${gaps ? 'gaps' : 'full'}.csv`);
    await writeFile(file, small(layout, gaps));
    return file;
  };

  it('reads the same without gaps; the layout is reported', async () => {
    const { engine } = await expectParity(await write(false), options);
    expect(engine.report.input.layout).toBe(layout);
  });

  it('--missing error (the default): both refuse with the same line, naming --missing', async () => {
    const line = await expectSameRefusal(await write(true), options);
    expect(line).toContain('--missing');
  });

  it.each(['previous', 'zero', 'drop'] as const)('--missing %s', async (missing) => {
    const { engine } = await expectParity(await write(true), { ...options, missing });
    expect(engine.report.input.missing).toEqual({
      policy: missing,
      cells: { price: 0, volume: 1, marketCap: 3 },
      rowsDropped: missing === 'drop' ? 4 : 0,
    });
    expect(engine.report.rows.afterDedupe).toBe(missing === 'drop' ? DAYS - 4 : DAYS);
  });
});

describe('realistic files in each vendor layout (fixtures/vendors)', () => {
  it('a CoinGecko export, as downloaded', async () => {
    const { engine } = await expectParity(join(ROOT, 'fixtures', 'vendors', 'coingecko.csv'));
    expect(engine.report.input.layout).toBe('coingecko');
  });

  it('a CoinGecko export with a blank market cap, --missing previous', async () => {
    const input = join(ROOT, 'fixtures', 'vendors', 'coingecko-blank-market-cap.csv');
    const { engine } = await expectParity(input, { missing: 'previous' });
    expect(engine.report.input.missing!.cells.marketCap).toBe(1);
  });

  it('a CoinMarketCap-layout file, newest first with "-" cells, --missing drop', async () => {
    const { engine } = await expectParity(join(ROOT, 'fixtures', 'vendors', 'coinmarketcap.csv'), { missing: 'drop' });
    expect(engine.report.input.missing!.rowsDropped).toBe(3);
  });

  it('only a date and a price column, with a spec of price indicators (no volume needed)', async () => {
    const file = join(work, 'close-only.csv');
    const rows = Array.from({ length: DAYS }, (_, t) => day(t)).map((d) => `${d.date},${d.price}`);
    await writeFile(file, `Day,Close\n${rows.join('\n')}\n`);
    const { engine } = await expectParity(file, { columns: 'date=Day,price=Close', features: 'price,rsi,macd_diff(window_slow=12,window_fast=5,window_sign=4)' });
    expect(engine.report.features.slice(0, 2)).toEqual(['price', 'rsi']);
  });

  it('a Yahoo-layout file with --columns and a feature spec without marketCap', async () => {
    const { engine } = await expectParity(join(ROOT, 'fixtures', 'vendors', 'yahoo.csv'), {
      columns: YAHOO_COLUMNS,
      features: 'price,volume,rsi',
    });
    expect(engine.report.features).toEqual(['price', 'volume', 'rsi']);
  });
});

describe('Parquet input and refusals', () => {
  it('a Spark-layout Parquet folder (the engine\'s own output) reads the same in both', async () => {
    const folder = join(work, 'parquet-input');
    await runPipeline({ input: join(ROOT, 'fixtures', 'algorand.csv'), output: folder });
    const { engine } = await expectParity(folder);
    expect(engine.report.input.layout).toBe('parquet (pricecast)');
  });

  it('control characters in a refused value are escaped alike by both', async () => {
    const file = join(work, 'escape.csv');
    const rows = Array.from({ length: 30 }, (_, t) => day(t)).map((d, t) => `${d.date},${t === 3 ? '1\u001b[2J\u009b' : d.price},1,1`);
    await writeFile(file, `date,price,volume,marketCap\n${rows.join('\n')}\n`);
    const line = await expectSameRefusal(file);
    expect(line).not.toMatch(/[\u001b\u009b]/);
    expect(line).toContain(`${file}:5: column price`);
  });

  it('a FIFO is read once and handed to both halves', async () => {
    const fifo = join(work, 'prices.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const parity = expectParity(fifo, { missing: 'drop' });
    const writer = spawn('sh', ['-c', `cat ${JSON.stringify(join(ROOT, 'fixtures', 'vendors', 'coinmarketcap.csv'))} > ${JSON.stringify(fifo)}`]);
    const { engine } = await parity;
    writer.kill();
    expect(engine.report.input.layout).toBe('coinmarketcap');
    expect(engine.report.input.missing!.rowsDropped).toBe(3);
  });

  it('a date before 1582-10-15 is refused by both, exit 2, the same line', async () => {
    const file = join(work, 'julian.csv');
    const rows = Array.from({ length: 30 }, (_, t) => `${new Date(Date.UTC(1582, 9, 1 + t)).toISOString().slice(0, 10)},${1 + t},1,1`);
    await writeFile(file, `date,price,volume,marketCap\n${rows.join('\n')}\n`);
    const line = await expectSameRefusal(file);
    expect(line).toContain(`${file}:2: column date`);
    expect(line).toContain('1582-10-15');
  });
});
