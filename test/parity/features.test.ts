/**
 * Parity with feature specs (docs/features.md#feature-specs): the real PySpark job (spark-submit, local mode,
 * ta on the driver) and the engine on the same input, seed and spec, compared column by column: the
 * input columns and next_price exactly, every indicator column within 1e-12 relative, predictions, fit
 * and statistics within 1e-9 (src/parity/compare.ts). One spark-submit per spec, run one after another.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropNulls } from '../../src/engine/clean.js';
import { parseDay } from '../../src/engine/ingest/dates.js';
import { InputError, UsageError } from '../../src/engine/errors.js';
import { featureColumns, parseFeatureSpec } from '../../src/engine/features/spec.js';
import { runPipeline } from '../../src/engine/pipeline.js';
import { formatParityReport, INDICATOR_TOLERANCE } from '../../src/parity/compare.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runParity, type ParityOptions } from '../../src/parity/run.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { CSV_HEADER } from '../../fixtures/generate.js';
import { ROOT } from '../helpers/cli.js';
import { DEFAULT_CSV, generated } from '../helpers/datasets.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';

/** The original project's real daily Algorand history (beside the repository, when present). */
const REAL_CSV = ALGORAND_CSV;
const hasRealData = existsSync(REAL_CSV);

let work: string;
beforeAll(async () => {
  await ensurePythonEnv();
  work = mkdtempSync(join(tmpdir(), 'pricecast-parity-features-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function expectParity(options: Partial<ParityOptions> & { input: string; features: string }) {
  const outcome = await runParity({ seed: 42, split: 'random', trainRatio: 0.7, ...options });
  const { report, engine } = outcome;
  const text = `${options.features}\n${formatParityReport(report)}`;
  const columns = featureColumns(parseFeatureSpec(options.features));
  expect(engine.report.features, text).toEqual(columns);
  // Every feature column was compared, and each indicator column within 1e-12 relative.
  expect(report.columns.map((d) => d.name), text).toEqual([...columns, 'next_price', 'prediction']);
  for (const d of report.columns.slice(0, columns.length)) {
    expect(d.count, text).toBe(engine.report.rows.test);
    expect(d.maxRel, `${d.name}\n${text}`).toBeLessThanOrEqual(INDICATOR_TOLERANCE);
  }
  expect(report.sameTestRows, text).toBe(true);
  expect(report.ok, text).toBe(true);
  return outcome;
}

const DONE_WHEN_SPEC = 'price,rsi(window=9),macd_diff,bollinger_pband,on_balance_volume';

describe('parity with mixed feature specs: engine vs PySpark + ta', () => {
  it('the default data: price, rsi(window=9), macd_diff, bollinger_pband, on_balance_volume', async () => {
    const { engine } = await expectParity({ input: DEFAULT_CSV, features: DONE_WHEN_SPEC });
    expect(engine.report.featureSpecs?.[1]).toEqual({ column: 'rsi_window_9', fn: 'rsi', args: { window: 9 } });
  });

  it.skipIf(!hasRealData)('the real Algorand data, the same spec', async () => {
    await expectParity({ input: REAL_CSV, features: DONE_WHEN_SPEC });
  });

  it('volume indicators with kama, stc, kst and kst_sig', async () => {
    await expectParity({
      input: DEFAULT_CSV,
      features: 'volume,kama,stc,kst,kst_sig,force_index,negative_volume_index,volume_price_trend,pvo_hist',
    });
  });

  it('functions of close only (no input column among the features), time split', async () => {
    const { engine } = await expectParity({
      input: DEFAULT_CSV,
      split: 'time',
      trainRatio: 0.8,
      features: 'rsi,tsi,roc,ppo,ppo_signal,trix,dpo,ema_indicator,sma_indicator,wma_indicator,ulcer_index,daily_log_return,cumulative_return',
    });
    expect(Object.keys(engine.predictions)).not.toContain('price');
  });

  it('a flat stretch of prices: %B is NaN where the band width is 0, and both drop those rows', async () => {
    const { input, flatDays } = flatSegmentCsv(work);
    const { engine } = await expectParity({
      input,
      features: 'price,bollinger_wband,bollinger_pband(window=10),pvo',
      trainRatio: 0.5,
    });
    const kept = new Set(engine.predictions.day);
    const around = engine.report.rows.afterDedupe; // sanity: the file's dates are all there
    expect(around).toBe(400);
    // From the 10th flat day on, the 10-day band has width 0: those days are gone on both sides
    // (the same test-row set), while test rows exist before and after the flat stretch.
    for (const day of flatDays.slice(9)) expect(kept.has(day)).toBe(false);
    expect(engine.predictions.day.some((d) => d < flatDays[0])).toBe(true);
    expect(engine.predictions.day.some((d) => d > flatDays[flatDays.length - 1])).toBe(true);
  });

  it.skipIf(!hasRealData)('non-default arguments everywhere, on the real data', async () => {
    const { engine } = await expectParity({
      input: REAL_CSV,
      seed: 7,
      features:
        'marketCap,rsi(window=5),macd_diff(window_slow=30,window_fast=10,window_sign=7),' +
        'bollinger_pband(window=25,window_dev=1.5),kst(roc1=5,window4=12),volume_price_trend(smoothing_factor=3),' +
        'stc(cycle=8,smooth1=2),stochrsi_d(window=10,smooth1=2,smooth2=4)',
    });
    expect(engine.report.features).toContain('bollinger_pband_window_25_window_dev_1p5');
  });

  it('too few dates for a spec: both refuse, with the same line', async () => {
    const input = generated(work, 'few.csv', { rows: 30, seed: 5, repeatedDate: false, zeroMarketCap: false });
    const features = 'price,stc';
    const error = (await runPipeline({ input, features }).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    const spark = await runSparkJob({ input, output: join(work, 'few-out'), features });
    expect(spark.exitCode).toBe(2);
    expect(spark.stderr.trim().split('\n').pop()).toBe(error.message);
    expect(existsSync(join(work, 'few-out'))).toBe(false);
  });

  it('a bad spec: the PySpark job exits 2 with the engine\'s line, and writes nothing', async () => {
    const output = join(work, 'bad-spec-out');
    const features = 'price,rsi(window=1.5)';
    expect(() => parseFeatureSpec(features)).toThrow(UsageError);
    const engineLine = (() => {
      try {
        parseFeatureSpec(features);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(engineLine).toBe('--features: position 11: rsi argument window expects an integer, got "1.5"');
    const spark = await runSparkJob({ input: DEFAULT_CSV, output, features });
    expect(spark.exitCode).toBe(2);
    expect(spark.stderr.trim().split('\n').pop()).toBe(engineLine);
    expect(existsSync(output)).toBe(false);
  });
});

describe('the drop rule, table for table', () => {
  it('the PySpark job drops the rows the engine drops: null, NaN, +inf, -inf in a feature or a null label', async () => {
    const rows: Array<[number, number | null, number | null, number | null]> = [
      [1, NaN, 1, 2], [2, 1, Infinity, 2], [3, 2, 2, 3], [4, -Infinity, 3, 4], [5, 0, 0, 5],
      [6, null, 1, 2], [7, 5, 7, null], [8, 1e308, -1e308, 1], [9, 3, NaN, 1],
    ];
    const engine = dropNulls({
      day: Int32Array.from(rows, (r) => r[0]),
      a: Float64Array.from(rows, (r) => r[1] ?? NaN),
      b: Float64Array.from(rows, (r) => r[2] ?? NaN),
      nextPrice: Float64Array.from(rows, (r) => r[3] ?? NaN),
    });
    const encode = (v: number | null) => (v === null ? null : Number.isFinite(v) ? v : String(v).replace('Infinity', 'inf').replace('NaN', 'nan'));
    const pyenv = await ensurePythonEnv();
    const kept = await new Promise<number[]>((resolve, reject) => {
      const child = spawn(pyenv.python, [join(ROOT, 'test', 'py', 'drop_nulls_check.py')], { env: pyenv.env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout.trim().split('\n').pop()!)) : reject(new Error(stderr))));
      child.stdin.end(JSON.stringify({ rows: rows.map((r) => r.map(encode)) }));
    });
    expect(Array.from(engine.day)).toEqual([3, 5, 8]);
    expect(kept).toEqual([3, 5, 8]);
  });
});

/**
 * A generated 400-day series whose prices are one value for 40 days in a row (days 150-189) and whose
 * volume is 0 for 20 days (250-269): a zero Bollinger band width, and zeros under the volume oscillator.
 */
function flatSegmentCsv(dir: string): { input: string; flatDays: number[] } {
  const source = generated(dir, 'flat-source.csv', { rows: 400, seed: 21, repeatedDate: false, zeroMarketCap: false });
  const lines = readFileSync(source, 'utf8').split('\n').slice(1).filter((line) => line !== '');
  const flatPrice = lines[150].split(',')[1];
  const flatDays: number[] = [];
  const rewritten = lines.map((line, i) => {
    const fields = line.split(',');
    if (i >= 150 && i < 190) {
      fields[1] = flatPrice;
      flatDays.push(parseDay(fields[0]));
    }
    if (i >= 250 && i < 270) fields[2] = '0';
    return fields.join(',');
  });
  const input = join(dir, 'flat.csv');
  writeFileSync(input, `${CSV_HEADER}\n${rewritten.join('\n')}\n`);
  return { input, flatDays };
}
