/**
 * The high/low features against the real PySpark job, which computes them with `ta` from the open,
 * high and low columns: a seeded OHLC file in the contract layout (fixtures/ohlc.ts: flat days,
 * zero-volume days, gaps), every one of the 41 functions plus open/high/low at their defaults, then
 * non-default arguments of each family on a time split, then the same series in Yahoo's layout (newest
 * first, no market cap), compared column by column (indicators within
 * 1e-12 relative, src/parity/compare.ts); an input without high and low refused by both. Every job
 * run goes through one spark-submit (test/py/job_batch.py), so the JVM starts once.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOhlc, ohlcCsv } from '../../fixtures/ohlc.js';
import { NEEDS_HIGH_LOW } from '../../src/engine/features/indicators/catalogue.js';
import { featureColumns, parseFeatureSpec } from '../../src/engine/features/spec.js';
import { runPipeline, type PipelineOptions } from '../../src/engine/pipeline.js';
import { formatParityReport, INDICATOR_TOLERANCE, type ParityReport } from '../../src/parity/compare.js';
import { compareEngineWithFolder } from '../../src/parity/compareFolder.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';

/** psar_up and psar_down together leave no row (each is NaN on the other's trend): one per case. */
const EVERY_FUNCTION = ['price', 'open', 'high', 'low', ...NEEDS_HIGH_LOW.filter((name) => name !== 'psar_down')].join(',');
const NON_DEFAULT = [
  'price',
  'psar_down(step=0.05,max_step=0.3)',
  'psar_down_indicator(step=0.03)',
  'keltner_channel_pband(window=10,window_atr=5,original_version=false)',
  'keltner_channel_hband_indicator(window=8,original_version=false)',
  'donchian_channel_wband(window=15,offset=2)',
  'ichimoku_a(window1=5,window2=12,visual=true)',
  'ichimoku_b(window2=7,window3=20,visual=true)',
  'ultimate_oscillator(window1=4,window2=9,window3=21,weight1=3.5,weight2=1.5,weight3=0.5)',
  'cci(window=14,constant=0.02)',
  'adx(window=10)',
  'adx_neg(window=7)',
  'vortex_indicator_pos(window=9)',
  'mass_index(window_fast=5,window_slow=15)',
  'stoch_signal(window=9,smooth_window=4)',
  'williams_r(lbp=21)',
  'awesome_oscillator(window1=3,window2=20)',
  'aroon_down(window=12)',
  'average_true_range(window=7)',
  'money_flow_index(window=9)',
  'chaikin_money_flow(window=10)',
  'sma_ease_of_movement(window=5)',
  'volume_weighted_average_price(window=7)',
].join(',');

interface Case {
  name: string;
  features: string;
  split: 'random' | 'time';
  /** The contract layout (default) or the same series as Yahoo writes it (Date,Open,High,Low,Close,Adj Close,Volume). */
  yahoo?: boolean;
}

const CASES: Case[] = [
  { name: 'every-function', features: EVERY_FUNCTION, split: 'random' },
  { name: 'non-default', features: NON_DEFAULT, split: 'time' },
  { name: 'yahoo', features: 'price,low,average_true_range,stoch,money_flow_index,keltner_channel_pband,psar_up', split: 'random', yahoo: true },
];

/** The series in Yahoo's layout, newest first as Yahoo writes it (no market cap). */
function yahooCsv(series: ReturnType<typeof generateOhlc>): string {
  const lines = ['Date,Open,High,Low,Close,Adj Close,Volume'];
  for (let t = series.date.length - 1; t >= 0; t--) {
    lines.push([series.date[t], series.open[t], series.high[t], series.low[t], series.close[t], series.close[t], series.volume[t]].join(','));
  }
  return `${lines.join('\n')}\n`;
}

let work: string;
let ohlcFile: string;
let yahooFile: string;
const inputOf = (c: Case) => (c.yahoo ? yahooFile : ohlcFile);
let codes: number[] = [];
let batchStderr = '';
const reports = new Map<string, { report: ParityReport; engineRows: number; sparkModel: Record<string, unknown> }>();

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-parity-ohlc-'));
  ohlcFile = join(work, 'ohlc.csv');
  const series = generateOhlc(2000, 31);
  await writeFile(ohlcFile, ohlcCsv(series));
  yahooFile = join(work, 'yahoo.csv');
  await writeFile(yahooFile, yahooCsv(series));
  const jobLines = [
    ...CASES.map((c) => ['--input', inputOf(c), '--output', join(work, c.name), '--split', c.split, '--features', c.features]),
    ['--input', DEFAULT_CSV, '--output', join(work, 'refused'), '--features', 'price,average_true_range'],
  ];
  const casesFile = join(work, 'cases.json');
  await writeFile(casesFile, JSON.stringify(jobLines));
  const spark = await runSparkJob({ script: join(ROOT, 'test', 'py', 'job_batch.py'), input: casesFile, output: join(work, 'batch') });
  if (spark.exitCode !== 0) throw new Error(`the batch of jobs failed (exit ${spark.exitCode}):\n${spark.stderr.slice(-3000)}`);
  batchStderr = spark.stderr;
  codes = JSON.parse(await readFile(join(work, 'batch', 'codes.json'), 'utf8')) as number[];
  for (const [index, c] of CASES.entries()) {
    if (codes[index] !== 0) continue;
    const options: PipelineOptions = { input: inputOf(c), features: c.features, split: c.split };
    const engine = await runPipeline(options);
    const { report } = await compareEngineWithFolder(join(work, c.name), { predictions: engine.predictions, report: engine.report });
    const sparkModel = JSON.parse(await readFile(join(work, c.name, '_model.json'), 'utf8'));
    reports.set(c.name, { report, engineRows: engine.report.rows.droppedForPsar ?? -1, sparkModel });
  }
}, 1_200_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('high/low features: engine vs the PySpark job computing them with ta', () => {
  for (const [index, c] of CASES.entries()) {
    it(`${c.name} (${parseFeatureSpec(c.features).length} features, ${c.split} split): every column within tolerance`, () => {
      expect(codes[index], batchStderr.slice(-3000)).toBe(0);
      const { report, engineRows, sparkModel } = reports.get(c.name)!;
      const text = `${c.features}\n${formatParityReport(report)}`;
      const columns = featureColumns(parseFeatureSpec(c.features));
      expect(report.columns.map((d) => d.name), text).toEqual([...columns, 'next_price', 'prediction']);
      for (const d of report.columns.slice(0, columns.length)) {
        expect(d.count, text).toBeGreaterThan(0);
        expect(d.maxRel, `${d.name}\n${text}`).toBeLessThanOrEqual(INDICATOR_TOLERANCE);
      }
      expect(report.sameTestRows, text).toBe(true);
      expect(report.ok, text).toBe(true);
      // The psar rows both engines drop, counted the same way.
      expect((sparkModel.input as { layout: string }).layout).toBe(c.yahoo ? 'yahoo' : 'pricecast');
      const rows = sparkModel.rows as { droppedForPsar: number };
      expect(rows.droppedForPsar).toBe(engineRows);
      expect(rows.droppedForPsar).toBeGreaterThan(0);
    });
  }

  it('an input without high and low: the job refuses it too (exit 2), naming the item and the layout', () => {
    expect(codes[CASES.length]).toBe(2);
    expect(batchStderr).toContain(
      'expected an input with open, high and low for average_true_range(window=14): it needs high and low prices, which this input (pricecast layout) does not have',
    );
  });
});
