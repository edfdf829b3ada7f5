/**
 * Parity (engine vs the PySpark reference job) for inputs as vendors ship them (docs/input.md#layouts):
 * every layout and every --missing mode on small files written here, one realistic file per layout
 * (fixtures/vendors, made by fixtures/vendors.ts), Parquet input, and the refusals both halves must word
 * the same (--missing error, a date before 1582-10-15). The job's runs share one spark-submit
 * (test/py/job_batch.py); a FIFO goes through `runParity` itself, end to end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YAHOO_COLUMNS } from '../../fixtures/vendors.js';
import { InputError } from '../../src/engine/errors.js';
import { ingestOptionsOf, type IngestOptions } from '../../src/engine/ingest/input.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { formatParityReport } from '../../src/parity/compare.js';
import { compareEngineWithFolder } from '../../src/parity/compareFolder.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runParity } from '../../src/parity/run.js';
import { runSparkJob, SPARK_JOB, sparkSubmitArgs, type SparkJobOptions } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';

let work: string;

// ---- the job's runs, all in one spark-submit (test/py/job_batch.py) ---------------------------------------
// Each case below registers its run of the reference job while the file is collected; the beforeAll
// writes every case's input, runs them all under one spark-submit (the JVM starts once), and each test
// then runs the engine and compares with that run's output folder and exit code, as `pricecast parity`
// does (src/parity/run.ts). Only the FIFO case runs `runParity` itself, end to end.

interface BatchedJob {
  name: string;
  /** The job's command line (what runSparkJob passes after the script). */
  args: () => string[];
}
const JOBS: BatchedJob[] = [];
/** Inputs the batch reads, written before it runs. */
const PREPARE: Array<() => Promise<void>> = [];
const batch = { codes: [] as number[], stderr: '', parts: [] as string[] };

function batchJob(name: string, args: () => string[]): void {
  if (JOBS.some((j) => j.name === name)) throw new Error(`two batched jobs named ${name}`);
  JOBS.push({ name, args });
}
/** The job's command line that runSparkJob would run for `options`. */
function jobArgs(options: SparkJobOptions): string[] {
  const args = sparkSubmitArgs(options);
  return args.slice(args.indexOf(SPARK_JOB) + 1);
}
/** A batched job's exit code and its own part of the process's stderr. */
function jobResult(name: string): { code: number; stderr: string } {
  const index = JOBS.findIndex((j) => j.name === name);
  return { code: batch.codes[index], stderr: batch.parts[index] ?? '' };
}
const jobOutput = (name: string) => join(work, `job-${name}`);
/** The line job_batch.py writes to stderr after each case (stderrMarkers). */
const STDERR_MARKER = /^job_batch: case (\d+) ended, exit code -?\d+$/;

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-inputs-parity-'));
  for (const prepare of PREPARE) await prepare();
  const casesFile = join(work, 'batch-cases.json');
  await writeFile(casesFile, JSON.stringify({ cases: JOBS.map((j) => j.args()), stderrMarkers: true }));
  const spark = await runSparkJob({ script: join(ROOT, 'test', 'py', 'job_batch.py'), input: casesFile, output: join(work, 'batch') });
  if (spark.exitCode !== 0) throw new Error(`the batch of jobs failed (exit ${spark.exitCode}):\n${spark.stderr.slice(-3000)}`);
  batch.codes = JSON.parse(await readFile(join(work, 'batch', 'codes.json'), 'utf8')) as number[];
  batch.stderr = spark.stderr;
  // Cut stderr at the markers: the lines before case i's marker (and after case i-1's) are case i's.
  let part: string[] = [];
  for (const line of spark.stderr.split('\n')) {
    const marker = STDERR_MARKER.exec(line.trim());
    if (marker === null) {
      part.push(line);
      continue;
    }
    batch.parts[Number(marker[1])] = part.join('\n');
    part = [];
  }
  if (batch.codes.length !== JOBS.length || batch.parts.filter((p) => p !== undefined).length !== JOBS.length) {
    throw new Error(`the batch ran ${batch.codes.length} of ${JOBS.length} jobs:\n${spark.stderr.slice(-3000)}`);
  }
}, 2_700_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Options = IngestOptions & { features?: string };

/** The settings expectParity and parityJob run both halves with. */
function paritySettings(options: Options) {
  return {
    seed: 42,
    split: 'random' as const,
    trainRatio: 0.7,
    features: options.features ?? 'price,volume,marketCap,rsi',
    format: options.format ?? 'auto',
    columns: options.columns as string | undefined,
    thousands: options.thousands ?? undefined,
    missing: options.missing ?? 'error',
  };
}

async function expectParity(input: string, options: Options = {}) {
  const outcome = await runParity({ input, ...paritySettings(options) } as Parameters<typeof runParity>[0]);
  const text = formatParityReport(outcome.report);
  expect(outcome.report.sameTestRows, text).toBe(true);
  expect(outcome.report.ok, text).toBe(true);
  return outcome;
}

/**
 * expectParity on the batch: registers the job's run (the flags runParity gives it) and returns the
 * check, which runs the engine with the same settings and compares it with that run's folder.
 */
function parityJob(name: string, input: () => string, options: Options = {}) {
  const settings = paritySettings(options);
  batchJob(name, () => jobArgs({ input: input(), output: jobOutput(name), ...settings }));
  return async () => {
    const { code, stderr } = jobResult(name);
    expect(code, stderr).toBe(0);
    const engine = await runPipeline({
      input: input(),
      seed: settings.seed,
      split: settings.split,
      trainRatio: settings.trainRatio,
      features: settings.features,
      ...ingestOptionsOf(settings),
    });
    const { report } = await compareEngineWithFolder(jobOutput(name), { predictions: engine.predictions, report: engine.report });
    const text = formatParityReport(report);
    expect(report.sameTestRows, text).toBe(true);
    expect(report.ok, text).toBe(true);
    return { report, engine };
  };
}

/**
 * Both halves refuse `input` with exit code 2 and the same one-line message (the last line of the
 * job's stderr). Registers the job's run on the batch and returns the check, which resolves to that line.
 */
function refusalJob(name: string, input: () => string, options: Options = {}) {
  batchJob(name, () => jobArgs({ input: input(), output: jobOutput(name), ...options }));
  return async (): Promise<string> => {
    const engine = await runPipeline({ input: input(), ...options }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(engine).toBeInstanceOf(InputError);
    const spark = jobResult(name);
    expect(spark.code, spark.stderr).toBe(2);
    const sparkLine = spark.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop();
    expect(sparkLine).toBe((engine as InputError).message);
    return sparkLine!;
  };
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
  const file = (gaps: boolean) => join(work, `${layout}-${gaps ? 'gaps' : 'full'}.csv`);
  PREPARE.push(async () => {
    for (const gaps of [false, true]) await writeFile(file(gaps), small(layout, gaps));
  });
  const full = parityJob(`${layout}-full`, () => file(false), options);
  const refused = refusalJob(`${layout}-missing-error`, () => file(true), options);
  const MISSING = ['previous', 'zero', 'drop'] as const;
  const withGaps = Object.fromEntries(MISSING.map((missing) => [missing, parityJob(`${layout}-missing-${missing}`, () => file(true), { ...options, missing })]));

  it('reads the same without gaps; the layout is reported', async () => {
    const { engine } = await full();
    expect(engine.report.input.layout).toBe(layout);
  });

  it('--missing error (the default): both refuse with the same line, naming --missing', async () => {
    const line = await refused();
    expect(line).toContain('--missing');
  });

  it.each(MISSING)('--missing %s', async (missing) => {
    const { engine } = await withGaps[missing]();
    expect(engine.report.input.missing).toEqual({
      policy: missing,
      cells: { price: 0, volume: 1, marketCap: 3 },
      rowsDropped: missing === 'drop' ? 4 : 0,
    });
    expect(engine.report.rows.afterDedupe).toBe(missing === 'drop' ? DAYS - 4 : DAYS);
  });
});

describe('realistic files in each vendor layout (fixtures/vendors)', () => {
  const vendor = (name: string) => () => join(ROOT, 'fixtures', 'vendors', name);
  const coingecko = parityJob('realistic-coingecko', vendor('coingecko.csv'));
  const blankMarketCap = parityJob('realistic-coingecko-blank-market-cap', vendor('coingecko-blank-market-cap.csv'), { missing: 'previous' });
  const coinmarketcap = parityJob('realistic-coinmarketcap', vendor('coinmarketcap.csv'), { missing: 'drop' });
  const closeOnlyFile = () => join(work, 'close-only.csv');
  PREPARE.push(async () => {
    const rows = Array.from({ length: DAYS }, (_, t) => day(t)).map((d) => `${d.date},${d.price}`);
    await writeFile(closeOnlyFile(), `Day,Close\n${rows.join('\n')}\n`);
  });
  const closeOnly = parityJob('realistic-close-only', closeOnlyFile, {
    columns: 'date=Day,price=Close',
    features: 'price,rsi,macd_diff(window_slow=12,window_fast=5,window_sign=4)',
  });
  const yahoo = parityJob('realistic-yahoo', vendor('yahoo.csv'), { columns: YAHOO_COLUMNS, features: 'price,volume,rsi' });

  it('a CoinGecko export, as downloaded', async () => {
    const { engine } = await coingecko();
    expect(engine.report.input.layout).toBe('coingecko');
  });

  it('a CoinGecko export with a blank market cap, --missing previous', async () => {
    const { engine } = await blankMarketCap();
    expect(engine.report.input.missing!.cells.marketCap).toBe(1);
  });

  it('a CoinMarketCap-layout file, newest first with "-" cells, --missing drop', async () => {
    const { engine } = await coinmarketcap();
    expect(engine.report.input.missing!.rowsDropped).toBe(3);
  });

  it('only a date and a price column, with a spec of price indicators (no volume needed)', async () => {
    const { engine } = await closeOnly();
    expect(engine.report.features.slice(0, 2)).toEqual(['price', 'rsi']);
  });

  it('a Yahoo-layout file with --columns and a feature spec without marketCap', async () => {
    const { engine } = await yahoo();
    expect(engine.report.features).toEqual(['price', 'volume', 'rsi']);
  });
});

describe('Parquet input and refusals', () => {
  const parquetFolder = () => join(work, 'parquet-input');
  PREPARE.push(async () => {
    await runPipeline({ input: join(ROOT, 'fixtures', 'algorand.csv'), output: parquetFolder() });
  });
  const parquet = parityJob('parquet-input', parquetFolder);
  const escapeFile = () => join(work, 'escape.csv');
  PREPARE.push(async () => {
    const rows = Array.from({ length: 30 }, (_, t) => day(t)).map((d, t) => `${d.date},${t === 3 ? '1\u001b[2J\u009b' : d.price},1,1`);
    await writeFile(escapeFile(), `date,price,volume,marketCap\n${rows.join('\n')}\n`);
  });
  const escaped = refusalJob('escape', escapeFile);
  const julianFile = () => join(work, 'julian.csv');
  PREPARE.push(async () => {
    const rows = Array.from({ length: 30 }, (_, t) => `${new Date(Date.UTC(1582, 9, 1 + t)).toISOString().slice(0, 10)},${1 + t},1,1`);
    await writeFile(julianFile(), `date,price,volume,marketCap\n${rows.join('\n')}\n`);
  });
  const julian = refusalJob('julian', julianFile);

  it('a Spark-layout Parquet folder (the engine\'s own output) reads the same in both', async () => {
    const { engine } = await parquet();
    expect(engine.report.input.layout).toBe('parquet (pricecast)');
  });

  it('control characters in a refused value are escaped alike by both', async () => {
    const line = await escaped();
    expect(line).not.toMatch(/[\u001b\u009b]/);
    expect(line).toContain(`${escapeFile()}:5: column price`);
  });

  // `pricecast parity` itself, end to end (not the batch): it must read the FIFO once and hand both halves the copy.
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
    const line = await julian();
    expect(line).toContain(`${julianFile()}:2: column date`);
    expect(line).toContain('1582-10-15');
  });
});

// ---- every layout as downloaded (fixtures/vendors), all the job's runs in one spark-submit -------------------

describe('every vendor layout with its quirks: engine and PySpark job read it alike (one spark-submit)', () => {
  const vendor = (name: string) => join(ROOT, 'fixtures', 'vendors', name);
  interface LayoutCase {
    name: string;
    input: () => string;
    flags: string[];
    options: Options;
  }
  const flagsOf = (options: Options) => [
    ...(options.missing ? ['--missing', options.missing] : []),
    ...(options.format ? ['--format', options.format] : []),
    ...(options.features ? ['--features', options.features] : []),
    ...(options.ohlcCheck ? ['--ohlc-check', options.ohlcCheck] : []),
  ];
  const run = (name: string, input: () => string, options: Options = {}): LayoutCase => ({ name, input, options, flags: flagsOf(options) });
  let snapshotsCsv = '';
  let ohlcCsv = '';
  const RUNS: LayoutCase[] = [
    run('coingecko-late-snapshots', () => vendor('coingecko-late-snapshots.csv')),
    run('coinmarketcap-starred', () => vendor('coinmarketcap-starred.csv')),
    run('coinmarketcap-multi-one-coin', () => vendor('coinmarketcap-multi-one-coin.csv'), { missing: 'drop' }),
    run('kaggle', () => vendor('kaggle.csv')),
    run('yahoo-null-rows', () => vendor('yahoo-null-rows.csv'), { missing: 'previous' }),
    run('yahoo', () => vendor('yahoo.csv')),
    run('cryptodatadownload', () => vendor('cryptodatadownload.csv')),
    run('pricecast-ohlc', () => vendor('pricecast-ohlc.csv')),
    run('snapshots', () => snapshotsCsv),
    run('ohlc-off', () => ohlcCsv, { ohlcCheck: 'off' }),
  ];
  const REFUSALS: LayoutCase[] = [
    run('ten-coins-without-asset', () => vendor('coinmarketcap-multi-ten-coins.csv'), { missing: 'drop', format: 'coinmarketcap' }),
    run('yahoo-null-rows-default', () => vendor('yahoo-null-rows.csv')),
    run('yahoo-marketcap-named', () => vendor('yahoo.csv'), { features: 'price,marketCap,rsi' }),
    run('ohlc-on', () => ohlcCsv),
  ];
  // Several snapshots a day: day 10 has a later row written BEFORE the midnight row (the latest wins,
  // not the last); day 20 has two rows at the same time (the last in file order wins).
  PREPARE.push(async () => {
    snapshotsCsv = join(work, 'snapshots.csv');
    const lines = Array.from({ length: DAYS }, (_, t) => day(t)).flatMap((d, t) => {
      const row = (time: string, price: number) => `${d.date} ${time} UTC,${price},${d.volume},${d.marketCap}`;
      if (t === 10) return [row('23:00:00', d.price * 1.01), row('00:00:00', d.price)];
      if (t === 20) return [row('00:00:00', d.price * 0.99), row('00:00:00', d.price)];
      return [row('00:00:00', d.price)];
    });
    await writeFile(snapshotsCsv, `snapped_at,price,market_cap,total_volume\n${lines.join('\n')}\n`);
    // One row whose high is below its close.
    ohlcCsv = join(work, 'ohlc.csv');
    const ohlc = Array.from({ length: DAYS }, (_, t) => day(t)).map((d, t) =>
      `${d.date},${d.price},${d.volume},${d.marketCap},${d.price},${t === 12 ? d.price * 0.9 : d.price * 1.1},${d.price * 0.9}`);
    await writeFile(ohlcCsv, `date,price,volume,marketCap,open,high,low\n${ohlc.join('\n')}\n`);
  });
  // On the file's one batch (beforeAll at the top), each writing to work/layout-NAME.
  for (const c of [...RUNS, ...REFUSALS]) {
    batchJob(`layout-${c.name}`, () => ['--input', c.input(), '--output', join(work, `layout-${c.name}`), ...c.flags]);
  }
  const code = (name: string) => jobResult(`layout-${name}`).code;

  it.each(RUNS.map((c, i) => [c.name, i] as const))('%s: parity holds', async (name, index) => {
    const c = RUNS[index];
    expect(code(name), `${name}: ${jobResult(`layout-${name}`).stderr.slice(-2000)}`).toBe(0);
    const engine = await runPipeline({ input: c.input(), ...c.options });
    const { report } = await compareEngineWithFolder(join(work, `layout-${name}`), { predictions: engine.predictions, report: engine.report });
    expect(report.ok, formatParityReport(report)).toBe(true);
    const spark = JSON.parse(await readFile(join(work, `layout-${name}`, '_model.json'), 'utf8'));
    const facts = (r: typeof engine.report) => ({
      layout: r.input.layout,
      asset: r.input.asset,
      collapsed: r.input.duplicateDatesCollapsed,
      ohlc: r.input.ohlcInconsistentRows,
      missing: r.input.missing,
      features: r.features,
    });
    expect(facts(spark)).toEqual(facts(engine.report));
  });

  it('what each file says: layout, asset, collapsed days and why, features without marketCap', async () => {
    const report = async (name: string) => JSON.parse(await readFile(join(work, `layout-${name}`, '_model.json'), 'utf8'));
    expect((await report('kaggle')).input.asset).toBe('BTC');
    expect((await report('coinmarketcap-multi-one-coin')).input.asset).toBe('bitcoin');
    expect((await report('cryptodatadownload')).input).toMatchObject({ layout: 'cryptodatadownload', asset: 'BTCUSDT' });
    expect((await report('cryptodatadownload')).input.duplicateDatesCollapsed.count).toBe(1);
    expect((await report('yahoo')).features).toEqual(['price', 'volume', 'rsi']);
    expect((await report('snapshots')).input.duplicateDatesCollapsed).toEqual({ count: 2, first: [day(10).date, day(20).date], severalSnapshots: 1 });
    expect((await report('ohlc-off')).input.ohlcInconsistentRows).toBe(1);
    expect((await report('yahoo-null-rows')).input.missing.cells.price).toBe(2);
  });

  it.each(REFUSALS.map((c, i) => [c.name, i] as const))('%s: both refuse with exit 2 and the same line, writing nothing', async (name, index) => {
    const c = REFUSALS[index];
    expect(code(name)).toBe(2);
    const engine = await runPipeline({ input: c.input(), ...c.options }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(engine).toBeInstanceOf(InputError);
    const message = (engine as InputError).message;
    expect(batch.stderr.split('\n').map((l) => l.trim())).toContain(message);
    const expected: Record<string, RegExp> = {
      'ten-coins-without-asset': /days have several rows.*--columns asset=COL/,
      'yahoo-null-rows-default': /"null".*--missing/,
      'yahoo-marketcap-named': /column marketCap:.*yahoo layout has no market cap/,
      'ohlc-on': /:14: column high: .*--ohlc-check off/,
    };
    expect(message).toMatch(expected[name]);
  });
});
