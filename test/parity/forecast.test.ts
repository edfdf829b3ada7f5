/**
 * Parity of `forecast` (docs/forecast.md) between the engine and the reference job
 * (pyspark/price_regression.py run_forecast): forecasts, bounds, model coefficients and the track records
 * (skill, DM, mase, rmsse, interval coverage and score) within 1e-9 relative, on the bundled data, a
 * vendor fixture (CoinMarketCap's layout), a return target with a calibration window, a ridge fit and
 * an --as-of day; a panel (docs/forecast.md#panels), each asset's forecast as the engine's and the same assets
 * skipped with the same reasons; and the job's tables in the same layout, read by pyarrow as the engine's are.
 * Every case runs in one spark-submit (test/py/forecast_batch.py), so Spark starts once.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pricecastPanelCsv } from '../../fixtures/panel.js';
import { runForecast, runPanelForecast, type ForecastDocument, type ForecastOptions, type HorizonForecast, type PanelForecastDocument } from '../../src/forecast/run.js';
import { relativeDifference } from '../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { runPython } from '../helpers/python.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('forecast-parity');
const TOLERANCE = 1e-9;

interface Case {
  name: string;
  input: string;
  features: string;
  target: 'price' | 'return';
  horizon: number;
  levels: number[];
  calibrationWindow?: number;
  trainRatio: number;
  refitEvery: number;
  asOf?: string;
  regParam?: number;
  elasticNet?: number;
  assets?: string[];
}

// The panel of fixtures/panel.ts (its file is written before the batch): two assets end on the newest day, two
// earlier (skipped: late) and one is too short (skipped). The job forecasts each asset in a grouped map, every
// refit a replayed fit, so refitting every day costs little. `panel-named`: --assets names a late asset, refused.
const PANEL_CASES: Case[] = [
  { name: 'panel', input: '', features: 'price,volume,marketCap,rsi', target: 'price', horizon: 2, levels: [0.8, 0.95], trainRatio: 0.7, refitEvery: 7 },
  { name: 'panel-asof', input: '', features: 'price,rsi', target: 'return', horizon: 1, levels: [0.8], trainRatio: 0.7, refitEvery: 1, asOf: '2021-05-03', assets: ['BTC', 'doge-x_1', 'eth.usd'] },
  { name: 'panel-named', input: '', features: 'price,volume,marketCap,rsi', target: 'price', horizon: 1, levels: [0.8], trainRatio: 0.7, refitEvery: 7, assets: ['BTC', 'doge-x_1'] },
];

// Refits every 20-40 days keep the job's driver loop (one Spark fit per refit) to a few minutes.
const CASES: Case[] = [
  { name: 'bundled', input: DEFAULT_CSV, features: 'price,volume,marketCap,rsi', target: 'price', horizon: 3, levels: [0.8, 0.95], trainRatio: 0.7, refitEvery: 30 },
  { name: 'vendor', input: join(ROOT, 'fixtures', 'vendors', 'coinmarketcap.csv'), features: 'price,rsi(window=9)', target: 'price', horizon: 2, levels: [0.9], trainRatio: 0.6, refitEvery: 25 },
  { name: 'return', input: DEFAULT_CSV, features: 'price,macd_diff', target: 'return', horizon: 2, levels: [0.5, 0.8], calibrationWindow: 100, trainRatio: 0.7, refitEvery: 40 },
  { name: 'ridge', input: DEFAULT_CSV, features: 'price,volume,marketCap,rsi', target: 'price', horizon: 1, levels: [0.8], trainRatio: 0.7, refitEvery: 40, regParam: 0.1, elasticNet: 0 },
  { name: 'asof', input: DEFAULT_CSV, features: 'price,volume,marketCap,rsi', target: 'price', horizon: 1, levels: [0.8], trainRatio: 0.7, refitEvery: 30, asOf: '2021-06-30' },
];

let env: PythonEnv;
let sparkResults: Record<string, ForecastDocument & { error?: string }>;
const sparkPanel = (name: string) => sparkResults[name] as unknown as PanelForecastDocument & { error?: string };
const out = () => join(scratch.dir, 'spark');

beforeAll(async () => {
  env = await ensurePythonEnv();
  const panel = await scratch.file(pricecastPanelCsv(5), 'panel.csv');
  for (const c of PANEL_CASES) c.input = panel;
  const cases = await scratch.file(JSON.stringify([...CASES, ...PANEL_CASES]), 'cases.json');
  const run = await runSparkJob({ script: join(ROOT, 'test', 'py', 'forecast_batch.py'), input: cases, output: out() });
  expect(run.exitCode, run.stderr.slice(-3000)).toBe(0);
  sparkResults = JSON.parse(await readFile(join(out(), 'results.json'), 'utf8'));
}, 1_200_000);

function close(label: string, a: number | null, b: number | null): void {
  if (a === null || b === null || Number.isNaN(a) || Number.isNaN(b)) {
    expect(a === null || Number.isNaN(a as number), `${label}: ${a} vs ${b}`).toBe(b === null || Number.isNaN(b as number));
    return;
  }
  expect(relativeDifference(a, b), `${label}: engine ${a}, job ${b}`).toBeLessThanOrEqual(TOLERANCE);
}

function optionsOf(c: Case): ForecastOptions {
  return {
    input: c.input,
    set: { name: 'features', spec: c.features, ...(c.regParam !== undefined && { regularisation: { regParam: c.regParam, elasticNetParam: c.elasticNet ?? 0 } }) },
    target: c.target,
    horizon: c.horizon,
    levels: c.levels,
    calibrationWindow: c.calibrationWindow,
    trainRatio: c.trainRatio,
    refitEvery: c.refitEvery,
    asOf: c.asOf,
    assets: c.assets,
    output: join(scratch.dir, 'engine', c.name),
  };
}

/** Every horizon's forecast, bounds, model and track record, the engine's against the job's. */
function compareHorizons(label: string, engine: HorizonForecast[], job: HorizonForecast[]): void {
  expect(job.length, label).toBe(engine.length);
  for (const [i, mine] of engine.entries()) {
    const theirs = job[i];
    const h = `${label} h=${mine.horizon}`;
    expect(mine.targetDate).toBe(theirs.targetDate);
    close(`${h} forecast`, mine.forecast, theirs.forecast);
    mine.bounds.forEach((b, j) => {
      close(`${h} lower ${b.level}`, b.lower, theirs.bounds[j].lower);
      close(`${h} upper ${b.level}`, b.upper, theirs.bounds[j].upper);
    });
    mine.model.coefficients.forEach((v, j) => close(`${h} coefficient ${j}`, v, theirs.model.coefficients[j]));
    close(`${h} intercept`, mine.model.intercept, theirs.model.intercept);
    const [a, b] = [mine.trackRecord, theirs.trackRecord];
    expect([a.origins, a.trainRows, a.firstOriginDate, a.lastOriginDate]).toEqual([b.origins, b.trainRows, b.firstOriginDate, b.lastOriginDate]);
    for (const [who, x, y] of [['set', a.metrics, b.metrics], ['persistence', a.persistence.metrics, b.persistence.metrics]] as const) {
      for (const key of ['rmse', 'mae', 'mape', 'r2', 'skill', 'mase', 'rmsse', 'directionalAccuracy'] as const) close(`${h} ${who} ${key}`, x[key], y[key]);
    }
    close(`${h} DM statistic`, a.metrics.dm!.statistic, b.metrics.dm!.statistic);
    close(`${h} DM p`, a.metrics.dm!.pValue, b.metrics.dm!.pValue);
    for (const [x, y] of [[a.intervals, b.intervals], [a.persistence.intervals, b.persistence.intervals]] as const) {
      x.forEach((interval, j) => {
        expect(interval.origins).toBe(y[j].origins);
        expect(interval.coverage).toBe(y[j].coverage);
        close(`${h} interval width ${interval.level}`, interval.width, y[j].width);
        close(`${h} interval score ${interval.level}`, interval.score, y[j].score);
      });
    }
  }
}

describe('forecast: engine and reference job', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const job = sparkResults[c.name];
    expect(job.error).toBeUndefined();
    const engine = (await runForecast(optionsOf(c))).document;
    expect(engine.originDate).toBe(job.originDate);
    expect(engine.rows).toBe(job.rows);
    expect(engine.set).toEqual(job.set);
    expect(engine.input.sha256).toBe(job.input.sha256);
    compareHorizons(c.name, engine.horizons, job.horizons);
  });

  it.each([
    ['panel', 2, 3],
    ['panel-asof', 3, 0],
  ] as const)('%s: the same origin date, each asset forecast alike, the same assets skipped for the same reasons', async (name, forecast, skipped) => {
    const job = sparkPanel(name);
    expect(job.error).toBeUndefined();
    const engine = (await runPanelForecast(optionsOf(PANEL_CASES.find((c) => c.name === name)!))).document;
    expect([engine.assets.length, engine.skipped.length]).toEqual([forecast, skipped]);
    expect(job.originDate).toBe(engine.originDate);
    expect(job.input).toEqual(engine.input);
    expect(job.set).toEqual(engine.set);
    expect(job.skipped).toEqual(engine.skipped);
    expect(job.assets.map((a) => a.asset)).toEqual(engine.assets.map((a) => a.asset));
    for (const [i, mine] of engine.assets.entries()) {
      const theirs = job.assets[i];
      expect(theirs.rows).toBe(mine.rows);
      close(`${mine.asset} last price`, mine.lastPrice, theirs.lastPrice);
      compareHorizons(mine.asset, mine.horizons, theirs.horizons);
    }
  });

  it('panel-named: an asset --assets named that would be skipped refuses the run, with the same line', async () => {
    const c = PANEL_CASES.find((one) => one.name === 'panel-named')!;
    const refusal = await runPanelForecast(optionsOf(c)).then(() => null, (error: Error) => error.message);
    expect(refusal).toMatch(/doge-x_1/);
    expect(sparkPanel(c.name).error).toBe(refusal);
  });

  it.each([
    ['bundled', 0],
    ['panel', 1],
  ] as const)('%s: the job writes the same layout, and pyarrow reads both tables alike', async (name, asset) => {
    const partition = `origin_date=${sparkResults[name].originDate}`;
    expect((await readdir(join(out(), name))).filter((n) => !n.startsWith('.')).sort()).toEqual(['_SUCCESS', partition]);
    const names = (await readdir(join(out(), name, partition))).filter((n) => !n.startsWith('.'));
    expect(names.sort()).toEqual(['_forecast.json', expect.stringMatching(/^part-00000-.*\.snappy\.parquet$/)]);
    const script = await scratch.file(
      `import json, sys\nimport pyarrow.parquet as pq\nprint(json.dumps([[pq.read_table(d).column_names, pq.read_table(d).to_pandas().astype(str).values.tolist()] for d in sys.argv[1:]]))\n`,
      'read.py',
    );
    const [[engineColumns, engine], [jobColumns, job]] = JSON.parse(await runPython(env, [script, join(scratch.dir, 'engine', name), join(out(), name)])) as [string[], string[][]][];
    expect(jobColumns).toEqual(engineColumns);
    expect(engine.length).toBeGreaterThan(0);
    // [asset,] horizon, target_date, last_price: equal as written; then the forecast within the tolerance.
    expect(engine.map((row) => row.slice(0, 3 + asset))).toEqual(job.map((row) => row.slice(0, 3 + asset)));
    expect(engine.map((row) => row.slice(-2))).toEqual(job.map((row) => row.slice(-2)));
    const forecasts = (rows: string[][]) => rows.map((row) => Number(row[3 + asset]));
    forecasts(engine).forEach((v, i) => close(`table forecast ${i}`, v, forecasts(job)[i]));
  });
});
