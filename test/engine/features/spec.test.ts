/**
 * Feature specs (docs/features.md#feature-specs): the parser's normal forms, column names and errors; the
 * reference job's parser and catalogue against the engine's (Python, no Spark session); the pipeline's
 * output with a spec; bad specs through the CLI (exit 2, one line, nothing written, earlier output intact);
 * `pricecast features`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects, parquetSchema, parquetMetadata } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropNulls } from '../../../src/engine/clean.js';
import { UsageError } from '../../../src/engine/errors.js';
import {
  computeFeatures,
  DEFAULT_FEATURE_SPEC,
  featureColumns,
  formatFeatureItem,
  parseFeatureSpec,
} from '../../../src/engine/features/spec.js';
import { INDICATORS, NEEDS_HIGH_LOW } from '../../../src/engine/features/indicators/catalogue.js';
import { InputError } from '../../../src/engine/errors.js';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { rsi } from '../../../src/engine/features/indicators/momentum.js';
import type { LabelledColumns } from '../../../src/engine/types.js';
import { ensurePythonEnv } from '../../../src/parity/pyenv.js';
import { ROOT, runCli } from '../../helpers/cli.js';
import { DEFAULT_CSV, generated } from '../../helpers/datasets.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pricecast-feature-spec-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const parseError = (text: string): string => {
  try {
    parseFeatureSpec(text);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(text)}`);
};

describe('parseFeatureSpec: normal forms and column names', () => {
  it('the default spec gives exactly the columns price, volume, marketCap, rsi', () => {
    const items = parseFeatureSpec(DEFAULT_FEATURE_SPEC);
    expect(featureColumns(items)).toEqual(['price', 'volume', 'marketCap', 'rsi']);
    expect(items[3]).toEqual({ column: 'rsi', fn: 'rsi', args: { window: 14 } });
  });

  it('fills every default, so rsi, rsi() and rsi(window=14) are one item (and a duplicate)', () => {
    for (const text of ['rsi', 'rsi()', 'rsi( window = 14 )', ' rsi(window=+014) ']) {
      expect(parseFeatureSpec(text)).toEqual([{ column: 'rsi', fn: 'rsi', args: { window: 14 } }]);
    }
    expect(parseError('rsi,rsi(window=14)')).toBe('--features: position 5: duplicate item rsi(window=14) (same as item 1)');
  });

  it('names a column after its function and each non-default argument', () => {
    const columns = featureColumns(
      parseFeatureSpec(
        'rsi(window=9),bollinger_pband(window=25,window_dev=1.5),macd_diff(window_fast=10),' +
          'bollinger_hband(window_dev=-0.5),bollinger_lband(window_dev=2.0),volume_price_trend(dropnans=true)',
      ),
    );
    expect(columns).toEqual([
      'rsi_window_9',
      'bollinger_pband_window_25_window_dev_1p5',
      'macd_diff_window_fast_10',
      'bollinger_hband_window_dev_m0p5',
      'bollinger_lband', // 2.0 is the default 2
      'volume_price_trend_dropnans_true',
    ]);
  });

  it('every function of the catalogue, with defaults and with other values: valid, unique column names', () => {
    const other = (arg: (typeof INDICATORS)[number]['args'][number]) =>
      arg.type === 'bool' ? String(!arg.default) : arg.type === 'float' ? '0.25' : String((arg.default as number) + 1);
    const defaults = INDICATORS.map((i) => i.name).join(',');
    const changed = INDICATORS.filter((i) => i.args.length > 0)
      .map((i) => `${i.name}(${i.args.map((a) => `${a.name}=${other(a)}`).join(',')})`)
      .join(',');
    const items = parseFeatureSpec(`price,volume,marketCap,${defaults},${changed}`);
    const columns = featureColumns(items);
    expect(INDICATORS.length).toBe(80);
    expect(new Set(columns).size).toBe(columns.length);
    for (const column of columns) expect(column).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    // The normalised text parses back to the same item.
    for (const item of items) expect(parseFeatureSpec(formatFeatureItem(item))).toEqual([item]);
  });
});

/** Bad specs and the exact line each gives (the engine's wording, which the reference job shares). */
const cases: Array<[string, string]> = [
  ['', '--features: expected a comma-separated list of items such as "price,volume,marketCap,rsi", got an empty spec'],
  ['price,rsii', '--features: position 7: unknown function "rsii" (did you mean "rsi"?)'],
  ['macd_dif', '--features: position 1: unknown function "macd_dif" (did you mean "macd_diff"?)'],
  ['ema', '--features: position 1: unknown function "ema" (did you mean "ema_indicator"?)'],
  ['zzzzzz', '--features: position 1: unknown function "zzzzzz" (pricecast features lists them)'],
  ['rsi(windw=3)', '--features: position 5: rsi has no argument "windw" (its arguments: window)'],
  ['rsi(fillna=true)', '--features: position 5: rsi has no argument "fillna" (its arguments: window)'],
  ['on_balance_volume(window=3)', '--features: position 19: on_balance_volume has no argument "window" (it takes none)'],
  ['rsi(window=1.5)', '--features: position 5: rsi argument window expects an integer, got "1.5"'],
  ['bollinger_pband(window_dev=wide)', '--features: position 17: bollinger_pband argument window_dev expects a number, got "wide"'],
  ['volume_price_trend(dropnans=1)', '--features: position 20: volume_price_trend argument dropnans expects true or false, got "1"'],
  ['rsi(window=0)', '--features: position 5: rsi argument window must be positive, got "0"'],
  ['macd(window_fast=-3)', '--features: position 6: macd argument window_fast must be positive, got "-3"'],
  ['volume_price_trend(smoothing_factor=-3)', '--features: position 20: volume_price_trend argument smoothing_factor must not be negative, got "-3"'],
  ['price,price', '--features: position 7: duplicate item price (same as item 1)'],
  ['rsi(window=9,window=9)', '--features: position 14: argument window of rsi is given twice'],
  ['price(window=3)', '--features: position 1: price takes no arguments'],
  ['rsi(window=9', '--features: position 4: "(" is never closed'],
  ['rsi(window=9))', '--features: position 14: unexpected ")"'],
  ['price,,rsi', '--features: position 7: empty item'],
  ['price rsi', '--features: position 7: expected ",", got "r"'],
  ['rsi(9)', '--features: position 5: expected an argument name, got "9"'],
];

describe('parseFeatureSpec: bad specs are one-line usage errors', () => {
  it.each(cases)('%j', (text, message) => {
    expect(parseError(text)).toBe(message);
    expect(message).not.toContain('\n');
  });

  it('parses every ta function of high and low, and open/high/low, with their defaults (the input decides later)', () => {
    const items = parseFeatureSpec(['open', 'high', 'low', ...NEEDS_HIGH_LOW].join(','));
    expect(items.map((item) => item.fn)).toEqual(['open', 'high', 'low', ...NEEDS_HIGH_LOW]);
    expect(NEEDS_HIGH_LOW).toHaveLength(41);
    expect(parseError('donchian_channel_hband(offset=-1)')).toBe('--features: position 24: donchian_channel_hband argument offset must not be negative, got "-1"');
  });
});

/** Runs test/py/feature_spec.py: the reference job's parser and catalogue. */
async function pythonFeatureSpecs(specs: string[]): Promise<{
  catalogue: Record<string, { module: string; inputs: string[]; args: unknown[] }>;
  needsHighLow: string[];
  parsed: Array<{ ok?: unknown; error?: string }>;
}> {
  const pyenv = await ensurePythonEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(pyenv.python, [join(ROOT, 'test', 'py', 'feature_spec.py')], { env: pyenv.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`feature_spec.py exited ${code}: ${stderr}`))));
    child.stdin.end(JSON.stringify({ specs }));
  });
}

describe('the reference job parses specs the same way (pyspark/price_regression.py, no Spark session)', () => {
  it('its catalogue, read from ta 0.11.0 itself, is the engine catalogue', async () => {
    const python = await pythonFeatureSpecs([]);
    const engine = Object.fromEntries(
      INDICATORS.map((i) => [i.name, { module: i.module, inputs: [...i.inputs], args: i.args.map((a) => ({ ...a })) }]),
    );
    expect(python.catalogue).toEqual(engine);
    expect([...python.needsHighLow].sort()).toEqual([...NEEDS_HIGH_LOW].sort());
  }, 120_000);

  it('the same items and the same error lines, spec by spec', async () => {
    const specs = [
      DEFAULT_FEATURE_SPEC,
      'price,rsi(window=9),macd_diff,bollinger_pband,on_balance_volume',
      'bollinger_pband(window=25,window_dev=1.5), kst(roc1=5,window4=12),volume_price_trend(smoothing_factor=3,dropnans=TRUE)',
      'bollinger_hband(window_dev=-1e-7),bollinger_lband(window_dev=1e21),bollinger_mavg(window=3),bollinger_wband(window_dev=0.000001)',
      'stc(window_slow=40,window_fast=20,cycle=8,smooth1=2,smooth2=4),kama(pow1=3),tsi(window_fast=7)',
      ...cases.map(([text]) => text),
      ...NEEDS_HIGH_LOW.slice(0, 5),
      'RSI', 'Price', 'bollinger', 'rsi(window=9007199254740993)', 'bollinger_pband(window_dev=1e999)', 'é', 'rsi((',
      'price,', '  ', 'rsi(window=)', 'rsi(window==9)', 'rsi(window=9)x', 'price;rsi', 'rsi(window=14),rsi', 'price,PRICE',
    ];
    const python = await pythonFeatureSpecs(specs);
    specs.forEach((text, k) => {
      let engine: { ok?: unknown; error?: string };
      try {
        engine = { ok: parseFeatureSpec(text) };
      } catch (error) {
        engine = { error: (error as Error).message };
      }
      expect(python.parsed[k], text).toEqual(engine);
    });
  }, 120_000);
});

describe('computeFeatures and the drop stage', () => {
  const day = Int32Array.from({ length: 40 }, (_, i) => 18_000 + i);
  const price = Float64Array.from({ length: 40 }, (_, i) => 1 + Math.sin(i / 3) / 4 + i / 50);
  const volume = Float64Array.from({ length: 40 }, (_, i) => 1000 + 37 * ((i * 7) % 11));
  const marketCap = Float64Array.from(price, (p) => p * 1e9);

  it('input features are the input arrays; rsi is the engine RSI of docs/features.md#rsi', () => {
    const [p, v, m, r] = computeFeatures(parseFeatureSpec(DEFAULT_FEATURE_SPEC), { day, price, volume, marketCap });
    expect(p).toBe(price);
    expect(v).toBe(volume);
    expect(m).toBe(marketCap);
    expect(Array.from(r)).toEqual(Array.from(rsi(price, 14)));
    expect(Array.from(computeFeatures(parseFeatureSpec('rsi(window=5)'), { day, price, volume, marketCap })[0])).toEqual(
      Array.from(rsi(price, 5)),
    );
  });

  it('drops a row where any feature is NaN or ±inf, or the next price is null; keeps zeros', () => {
    const table: LabelledColumns = {
      day: Int32Array.of(1, 2, 3, 4, 5, 6),
      a: Float64Array.of(NaN, 1, 2, 3, 0, 5),
      b: Float64Array.of(1, Infinity, 2, -Infinity, 0, 7),
      nextPrice: Float64Array.of(1, 2, 3, 4, 5, NaN),
    };
    const kept = dropNulls(table);
    expect(Array.from(kept.day)).toEqual([3, 5]);
    expect(Array.from(kept.b)).toEqual([2, 0]);
  });
});

describe('runPipeline with a feature spec', () => {
  const spec = 'price,rsi(window=9),macd_diff,bollinger_pband,on_balance_volume';

  it('writes date, the feature columns in spec order, next_price, prediction; _model.json lists them', async () => {
    const out = join(work, 'mixed');
    const result = await runPipeline({ input: DEFAULT_CSV, output: out, features: spec });
    const part = readdirSync(out).find((name) => name.endsWith('.parquet'))!;
    const bytes = readFileSync(join(out, part));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const schema = parquetSchema(parquetMetadata(buffer));
    const names = schema.children.map((child) => child.element.name);
    expect(names).toEqual(['date', 'price', 'rsi_window_9', 'macd_diff', 'bollinger_pband', 'on_balance_volume', 'next_price', 'prediction']);
    const rows = (await parquetReadObjects({ file: buffer })) as Array<Record<string, number>>;
    expect(rows.length).toBe(result.report.rows.test);
    for (const row of rows) for (const name of names.slice(1)) expect(Number.isFinite(row[name])).toBe(true);

    const model = JSON.parse(readFileSync(join(out, '_model.json'), 'utf8'));
    expect(model.features).toEqual(names.slice(1, -2));
    expect(model.model.featureNames).toEqual(names.slice(1, -2));
    expect(model.model.coefficients).toHaveLength(5);
    expect(model.featureSpecs[1]).toEqual({ column: 'rsi_window_9', fn: 'rsi', args: { window: 9 } });
    expect(model.featureSpecs[2].args).toEqual({ window_slow: 26, window_fast: 12, window_sign: 9 });
  });

  it('a prediction is the fitted line through exactly the feature columns', async () => {
    const { predictions: p, report } = await runPipeline({ input: DEFAULT_CSV, features: 'rsi,daily_return' });
    const [a, b] = report.model.coefficients;
    for (let i = 0; i < p.day.length; i++) {
      expect(p.prediction[i]).toBeCloseTo(p.rsi[i] * a + p.daily_return[i] * b + report.model.intercept, 9);
    }
    expect(Object.keys(p)).toEqual(['day', 'rsi', 'daily_return', 'nextPrice', 'prediction']);
  });

  it('the too-few-rows message names the dates the spec needs: that many pass, one fewer fails', async () => {
    const features = 'price,kst_sig'; // a long warm-up
    const tooFew = generated(work, 'few.csv', { rows: 20, seed: 3, repeatedDate: false, zeroMarketCap: false });
    const error = (await runPipeline({ input: tooFew, features }).catch((e: unknown) => e)) as InputError;
    expect(error).toBeInstanceOf(InputError);
    const needed = Number(/at least (\d+) distinct dates \((\d+) warm-up rows/.exec(error.message)?.[1]);
    expect(needed).toBeGreaterThan(20);
    const enough = generated(work, 'enough.csv', { rows: needed, seed: 3, repeatedDate: false, zeroMarketCap: false });
    const justShort = generated(work, 'short.csv', { rows: needed - 1, seed: 3, repeatedDate: false, zeroMarketCap: false });
    expect((await runPipeline({ input: enough, features })).report.rows.afterDropNulls).toBe(10);
    await expect(runPipeline({ input: justShort, features })).rejects.toThrow(`at least ${needed} distinct dates`);
  });

  it('a feature with no value on any date is named (here a band width of 0 standard deviations)', async () => {
    const error = (await runPipeline({ input: DEFAULT_CSV, features: 'price,bollinger_pband(window_dev=0)' }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toMatch(/expected every feature to have values: bollinger_pband_window_dev_0 is null, NaN or ±inf on all 1000 dates/);
  });
});

describe('pricecast predict --features through the CLI', () => {
  it('runs a mixed spec and prints its coefficients', async () => {
    const out = join(work, 'cli-ok');
    const run = await runCli(['predict', '--input', DEFAULT_CSV, '--output', out, '--features', 'price,rsi(window=9),macd_diff']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rsi_window_9/);
    expect(JSON.parse(readFileSync(join(out, '_model.json'), 'utf8')).features).toEqual(['price', 'rsi_window_9', 'macd_diff']);
  }, 60_000);

  it('a bad spec: exit 2, one line on stderr, nothing written, an earlier output folder intact', async () => {
    const out = join(work, 'cli-earlier');
    expect((await runCli(['predict', '--input', DEFAULT_CSV, '--output', out])).code).toBe(0);
    const before = Object.fromEntries(readdirSync(out).map((name) => [name, readFileSync(join(out, name))]));
    const fresh = join(work, 'cli-never');
    for (const spec of ['rsii', 'rsi(window=1.5)', 'rsi(window=9', 'price,price']) {
      for (const target of [out, fresh]) {
        const run = await runCli(['predict', '--input', DEFAULT_CSV, '--output', target, '--features', spec]);
        expect(run.code, spec).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(`pricecast: ${parseError(spec)}\n`);
      }
    }
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(out).sort()).toEqual(Object.keys(before).sort());
    for (const [name, bytes] of Object.entries(before)) expect(readFileSync(join(out, name)).equals(bytes)).toBe(true);
  }, 120_000);

  it('pricecast features lists the catalogue; --json gives it as data', async () => {
    const text = await runCli(['features']);
    expect(text.code).toBe(0);
    for (const indicator of INDICATORS) expect(text.stdout).toMatch(new RegExp(`^  ${indicator.name} `, 'm'));
    expect(text.stdout).toMatch(/window_dev=2 \(float\)/);
    const json = await runCli(['features', '--json']);
    expect(json.code).toBe(0);
    const catalogue = JSON.parse(json.stdout);
    expect(catalogue.functions.map((f: { name: string }) => f.name)).toEqual(INDICATORS.map((i) => i.name));
    expect(catalogue.functions.find((f: { name: string }) => f.name === 'macd_diff').item).toBe('macd_diff(window_slow=26,window_fast=12,window_sign=9)');
    expect(catalogue.needsHighLow).toEqual([...NEEDS_HIGH_LOW]);
  }, 60_000);
});
