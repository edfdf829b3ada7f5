/**
 * The 41 functions of high and low against the real thing: every one against Python `ta` 0.11.0 in
 * the project's Python env (test/py/ta_indicators.py, one Python process for the whole file), with ta's
 * defaults, hand-picked non-default arguments and a seeded sweep of random ones.
 *
 * Data: fixtures/ohlc.ts's seeded OHLC series (flat days where open = high = low = close, zero-volume
 * days and a zero-volume run, gaps between a close and the next open), a second seed, an all-flat
 * series, a short one (shorter than most windows: where ta fails, the engine gives NaN on every row).
 * Tolerance: NaN and ±inf in the same places, finite values equal or within 1e-12 relative.
 *
 * PRICECAST_OHLC_REPORT=<file> also writes the per-indicator table (bench/INDICATORS.md's second part).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../fixtures/generate.js';
import { generateOhlc } from '../../../fixtures/ohlc.js';
import { CLOSE_VOLUME_INDICATORS, INDICATORS, NEEDS_HIGH_LOW, findIndicator, needsHighLow, type Indicator, type IndicatorSeries } from '../../../src/engine/features/indicators/catalogue.js';
import * as pd from '../../../src/engine/features/indicators/pandas.js';
import { ensurePythonEnv } from '../../../src/parity/pyenv.js';
import { compare, completeArgs, fromWire, runTaPython, toWire, variantCases, type ArgValues, type Comparison, type IndicatorCase, type Wire } from '../../helpers/taOracle.js';

const HIGH_LOW = INDICATORS.filter(needsHighLow);

type Series = Required<IndicatorSeries>;

function ohlcSeries(rows: number, seed: number): Series {
  const s = generateOhlc(rows, seed);
  return { high: s.high, low: s.low, close: s.close, volume: s.volume };
}

function edgeSeries(): Record<string, Series> {
  const n = 80;
  const flat = new Float64Array(n).fill(3.5);
  // A steady climb where every day's range is the same: ties in every rolling max and min.
  const stairs = Float64Array.from({ length: n }, (_, i) => 10 + Math.floor(i / 4));
  return {
    flat: { high: flat, low: flat, close: flat, volume: new Float64Array(n).fill(1000) },
    stairs: { high: stairs.map((v) => v + 1), low: stairs.map((v) => v - 1), close: stairs, volume: stairs.map((v, i) => (i % 7 === 0 ? 0 : v * 100)) },
    short: ohlcSeries(12, 5),
  };
}

const SERIES: Record<string, Series> = {
  ohlc: ohlcSeries(400, 7),
  ohlc2: ohlcSeries(150, 11),
  ...edgeSeries(),
};

const STOCH: ArgValues[] = [{ window: 5, smooth_window: 2 }, { window: 1, smooth_window: 1 }];
const KELTNER: ArgValues[] = [{ original_version: false }, { window: 5, window_atr: 3, original_version: false }, { window: 7, window_atr: 2 }];
const DONCHIAN: ArgValues[] = [{ window: 5, offset: 3 }, { window: 1 }, { offset: 1 }];
const ICHIMOKU: ArgValues[] = [{ window1: 3, window2: 8, visual: true }, { visual: true }, { window1: 20, window2: 4 }];
const PSAR: ArgValues[] = [{ step: 0.05, max_step: 0.3 }, { step: 0.1, max_step: 0.1 }];

/** Non-default arguments per function (ta's keywords). */
const VARIANTS: Record<string, ArgValues[]> = {
  awesome_oscillator: [{ window1: 3, window2: 10 }, { window1: 1, window2: 1 }],
  stoch: STOCH,
  stoch_signal: STOCH,
  ultimate_oscillator: [{ window1: 3, window2: 5, window3: 9, weight1: 1.5, weight2: 0.5, weight3: 3 }],
  williams_r: [{ lbp: 5 }, { lbp: 1 }],
  adx: [{ window: 5 }, { window: 1 }, { window: 30 }],
  adx_pos: [{ window: 5 }, { window: 1 }],
  adx_neg: [{ window: 5 }, { window: 1 }],
  vortex_indicator_pos: [{ window: 5 }, { window: 1 }],
  vortex_indicator_neg: [{ window: 5 }, { window: 1 }],
  mass_index: [{ window_fast: 4, window_slow: 10 }, { window_fast: 1, window_slow: 1 }],
  cci: [{ window: 7, constant: 0.03 }, { window: 1 }, { constant: 0 }],
  ichimoku_conversion_line: ICHIMOKU,
  ichimoku_base_line: ICHIMOKU,
  ichimoku_a: ICHIMOKU,
  ichimoku_b: [{ window2: 5, window3: 12, visual: true }, { visual: true }, { window3: 3 }],
  aroon_up: [{ window: 5 }, { window: 1 }],
  aroon_down: [{ window: 5 }, { window: 1 }],
  psar_up: PSAR,
  psar_down: PSAR,
  psar_up_indicator: PSAR,
  psar_down_indicator: PSAR,
  average_true_range: [{ window: 5 }, { window: 1 }, { window: 100 }],
  keltner_channel_mband: KELTNER,
  keltner_channel_hband: KELTNER,
  keltner_channel_lband: KELTNER,
  keltner_channel_wband: KELTNER,
  keltner_channel_pband: KELTNER,
  keltner_channel_hband_indicator: KELTNER,
  keltner_channel_lband_indicator: KELTNER,
  donchian_channel_hband: DONCHIAN,
  donchian_channel_lband: DONCHIAN,
  donchian_channel_mband: DONCHIAN,
  donchian_channel_wband: DONCHIAN,
  donchian_channel_pband: DONCHIAN,
  chaikin_money_flow: [{ window: 5 }, { window: 1 }],
  ease_of_movement: [{ window: 3 }],
  sma_ease_of_movement: [{ window: 3 }, { window: 1 }],
  money_flow_index: [{ window: 5 }, { window: 1 }],
  volume_weighted_average_price: [{ window: 5 }, { window: 1 }],
};

const CASES = variantCases(HIGH_LOW, Object.keys(SERIES), VARIANTS);

/** Seeded random arguments for every function with arguments, on both OHLC series. */
function sweepCases(): IndicatorCase[] {
  const random = new SeededRandom(2025);
  const cases: IndicatorCase[] = [];
  for (const indicator of HIGH_LOW) {
    if (indicator.args.length === 0) continue;
    for (const series of ['ohlc', 'ohlc2']) {
      for (let k = 0; k < 3; k++) {
        const overrides: ArgValues = {};
        for (const arg of indicator.args) {
          if (arg.type === 'bool') overrides[arg.name] = random.nextDouble() < 0.5;
          else if (arg.type === 'float') overrides[arg.name] = Math.round(random.nextDouble() * 40) / 100 + 0.01;
          else overrides[arg.name] = arg.positive ? 1 + Math.floor(random.nextDouble() * 40) : Math.floor(random.nextDouble() * 6);
        }
        cases.push({ id: `${indicator.name} ${series} sweep ${JSON.stringify(overrides)}`, indicator, series, overrides });
      }
    }
  }
  return cases;
}
CASES.push(...sweepCases());

interface Answer {
  indicators: Record<string, Wire[] | { error: string }>;
  primitives: Record<string, Wire[]>;
  catalogue: { module: string; name: string; inputs: string[]; args: [string, unknown][] }[];
  versions: Record<string, string>;
}

// The primitives the high/low functions add, against pandas (rolling max/min with min_periods 0 and 1
// feed ichimoku_b and keltner; the rest is covered through the functions themselves).
const PRIMITIVE_INPUT = SERIES.ohlc.high;
const PRIMITIVES = [
  { id: 'rolling_max w5 mp0', op: 'rolling_max', params: { window: 5, min_periods: 0 }, mine: (x: Float64Array) => pd.rollingMax(x, { window: 5, minPeriods: 0 }) },
  { id: 'rolling_min w5 mp0', op: 'rolling_min', params: { window: 5, min_periods: 0 }, mine: (x: Float64Array) => pd.rollingMin(x, { window: 5, minPeriods: 0 }) },
  { id: 'rolling_mean w5 mp0', op: 'rolling_mean', params: { window: 5, min_periods: 0 }, mine: (x: Float64Array) => pd.rollingMean(x, { window: 5, minPeriods: 0 }) },
];

let answer: Answer;
const stats = new Map<string, Omit<Comparison, 'inf'> & { cases: number; failedInTa: number }>();

beforeAll(async () => {
  const env = await ensurePythonEnv();
  const request = {
    series: Object.fromEntries(
      Object.entries(SERIES).map(([name, s]) => [name, { high: toWire(s.high), low: toWire(s.low), close: toWire(s.close), volume: toWire(s.volume) }]),
    ),
    indicators: CASES.map((c) => ({ id: c.id, module: c.indicator.module, fn: c.indicator.name, inputs: c.indicator.inputs, series: c.series, args: c.overrides })),
    primitives: PRIMITIVES.map((p) => ({ id: p.id, op: p.op, x: toWire(PRIMITIVE_INPUT), params: p.params })),
  };
  answer = JSON.parse(await runTaPython(env.python, env.env, JSON.stringify(request)));
}, 300_000);

afterAll(() => {
  const target = process.env.PRICECAST_OHLC_REPORT;
  if (!target || stats.size !== HIGH_LOW.length || !answer) return;
  const v = answer.versions;
  const lines = [
    '## The functions of high and low',
    '',
    `Produced by \`PRICECAST_OHLC_REPORT=<file> npx vitest run test/engine/features/ohlc.test.ts\` against ta ${v.ta},`,
    `pandas ${v.pandas}, numpy ${v.numpy}, on ${new Date().toISOString().slice(0, 10)}. Series: ${Object.keys(SERIES).join(', ')}`,
    '(fixtures/ohlc.ts: flat days, zero-volume days, gaps; an all-flat series; a staircase with ties; 12 rows).',
    '"ta failed" counts cases where ta raised (a window longer than the series: ATR and ADX index past it); the',
    'engine gives NaN on every row there.',
    '',
    '| indicator | module | cases | values | bit-identical | max relative | NaN rows (ta) | ta failed |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...HIGH_LOW.map((indicator) => {
      const s = stats.get(indicator.name)!;
      return `| ${indicator.name} | ${indicator.module} | ${s.cases} | ${s.values} | ${s.identical} | ${s.maxRel === 0 ? '0' : s.maxRel.toExponential(2)} | ${s.nan} | ${s.failedInTa} |`;
    }),
    '',
  ];
  writeFileSync(target, lines.join('\n'));
});

describe('catalogue of the high/low functions (against ta 0.11.0 itself)', () => {
  it('lists exactly ta\'s 41 functions that take high and low, with their inputs, keywords and defaults in order', () => {
    const taHighLow = answer.catalogue.filter((f) => f.inputs.includes('high') || f.inputs.includes('low'));
    expect(taHighLow).toHaveLength(41);
    expect(HIGH_LOW).toHaveLength(41);
    expect(HIGH_LOW.map((i) => `${i.module}.${i.name}`).sort()).toEqual(taHighLow.map((f) => `${f.module}.${f.name}`).sort());
    for (const f of taHighLow) {
      const mine = findIndicator(f.name)!;
      expect(mine.inputs, f.name).toEqual(f.inputs);
      expect(mine.args.map((a) => [a.name, a.default]), f.name).toEqual(f.args.filter(([name]) => name !== 'fillna'));
      for (const arg of mine.args) {
        const taDefault = f.args.find(([name]) => name === arg.name)![1];
        // ta's float defaults (4.0, 0.015, 0.02) are typed float, its int defaults int, its flags bool.
        expect(arg.type, `${f.name}.${arg.name}`).toBe(typeof taDefault === 'boolean' ? 'bool' : Number.isInteger(taDefault) && !['weight1', 'weight2', 'weight3'].includes(arg.name) ? 'int' : 'float');
      }
    }
    expect([...NEEDS_HIGH_LOW].sort()).toEqual(taHighLow.map((f) => f.name).sort());
    expect(CLOSE_VOLUME_INDICATORS).toHaveLength(39);
    expect(INDICATORS).toHaveLength(80);
    // No function of ta takes open: open is an item only.
    expect(answer.catalogue.some((f) => f.inputs.includes('open'))).toBe(false);
  });
});

describe('each high/low function matches Python ta on seeded OHLC data', () => {
  it.each(HIGH_LOW.map((i) => i.name))('%s', (name) => {
    const total = { values: 0, identical: 0, maxRel: 0, nan: 0, problems: [] as string[], cases: 0, failedInTa: 0 };
    for (const c of CASES.filter((k) => k.indicator.name === name)) {
      const mine = c.indicator.compute(SERIES[c.series], completeArgs(c.indicator, c.overrides));
      const ref = answer.indicators[c.id];
      total.cases++;
      if (!Array.isArray(ref)) {
        // ta raised: only for a window longer than the series; the engine's answer is NaN on every row.
        total.failedInTa++;
        expect(ref.error, c.id).toMatch(/IndexError|ValueError/);
        if (!Array.from(mine).every(Number.isNaN)) total.problems.push(`${c.id}: ta failed (${ref.error}) but the engine gave values`);
        continue;
      }
      const result = compare(mine, fromWire(ref));
      total.values += result.values;
      total.identical += result.identical;
      total.nan += result.nan;
      total.maxRel = Math.max(total.maxRel, result.maxRel);
      total.problems.push(...result.problems.slice(0, 3).map((p) => `${c.id}: ${p}`));
    }
    stats.set(name, total);
    expect(total.problems).toEqual([]);
    expect(total.cases).toBeGreaterThanOrEqual(HIGH_LOW.find((i) => i.name === name)!.args.length === 0 ? 5 : 6);
    expect(total.values).toBeGreaterThan(0);
  });

  it('the data makes ta produce the warm-up zeros, the 0/0 and the half-NaN the comparison covers', () => {
    const at = (name: string, series: string, overrides: ArgValues = {}) => {
      const ref = answer.indicators[`${name} ${series} ${JSON.stringify(overrides)}`];
      if (!Array.isArray(ref)) throw new Error(`${name} ${series}: ta failed`);
      return Array.from(fromWire(ref));
    };
    expect(at('average_true_range', 'ohlc').slice(0, 13).every((v) => v === 0)).toBe(true); // ta writes 0, not NaN
    expect(at('adx', 'ohlc').slice(0, 27).every((v) => v === 0)).toBe(true);
    expect(at('stoch', 'flat').slice(13).every(Number.isNaN)).toBe(true); // a zero range: 0/0
    expect(at('acc_dist_index', 'flat').every((v) => v === 0)).toBe(true); // ta's fillna(0.0) of 0/0
    expect(at('ease_of_movement', 'ohlc').some((v) => !Number.isFinite(v) && !Number.isNaN(v))).toBe(true); // zero volume: ±inf
    const up = at('psar_up', 'ohlc');
    const down = at('psar_down', 'ohlc');
    const nanUp = up.filter(Number.isNaN).length;
    expect(nanUp).toBeGreaterThan(up.length * 0.2);
    expect(nanUp).toBeLessThan(up.length * 0.8);
    expect(up.every((v, i) => i < 2 || Number.isNaN(v) !== Number.isNaN(down[i]))).toBe(true); // one or the other
    expect(Array.isArray(answer.indicators['adx short {}'])).toBe(false); // 12 rows < 2 x 14: ta fails
  });

  it('the new pandas primitives match pandas', () => {
    for (const p of PRIMITIVES) {
      const result = compare(p.mine(PRIMITIVE_INPUT), fromWire(answer.primitives[p.id]));
      expect(result.problems, p.id).toEqual([]);
      expect(result.identical, p.id).toBe(result.values);
    }
  });
});

describe('hand-checkable high/low cases', () => {
  const h = Float64Array.of(10, 12, 11, 15);
  const l = Float64Array.of(8, 9, 7, 12);
  const c = Float64Array.of(9, 11, 10, 14);

  it('true range: high - low on row 0, then the widest of the three', () => {
    // row 1: max(3, |12 - 9|, |9 - 9|) = 3; row 2: max(4, |11 - 11|, |7 - 11|) = 4; row 3: max(3, 5, 2) = 5
    expect(Array.from(pd.trueRange(h, l, pd.shift(c, 1)))).toEqual([2, 3, 4, 5]);
  });

  it('Wilder average: the mean of the first window, then (prev × (w - 1) + x) / w; zeros before', () => {
    expect(Array.from(pd.wilderAverage(Float64Array.of(2, 3, 4, 5), 2))).toEqual([0, 2.5, 3.25, 4.125]);
    expect(Array.from(pd.wilderAverage(Float64Array.of(1, 2), 3)).every(Number.isNaN)).toBe(true);
  });

  it('Wilder sum as ta writes it: the first window of non-NaN values, the last value left at 0', () => {
    // rows 1-2 summed: 5; then 5 - 5/2 + x[3] = 2.5 + 4 = 6.5; the last one stays 0
    expect(Array.from(pd.wilderSum(Float64Array.of(NaN, 2, 3, 4, 1), 2))).toEqual([5, 6.5, 6.5 - 3.25 + 1, 0]);
  });

  it('williams_r and stoch over two rows', () => {
    const run = (name: string, args: ArgValues) => Array.from(findIndicator(name)!.compute({ high: h, low: l, close: c, volume: c }, args));
    // row 1: highest 12, lowest 8, close 11: %R = -100 × 1/4, %K = 100 × 3/4
    expect(run('williams_r', { lbp: 2 })[1]).toBe(-25);
    expect(run('stoch', { window: 2, smooth_window: 3 })[1]).toBe(75);
  });

  it('refuses a series that is missing high or low', () => {
    expect(() => findIndicator('average_true_range')!.compute({ close: c, volume: c }, { window: 2 })).toThrow(/needs high/);
  });

  it('refuses series of different lengths', () => {
    expect(() => findIndicator('williams_r')!.compute({ high: h, low: l.subarray(1), close: c, volume: c }, { lbp: 2 })).toThrow(RangeError);
  });
});

describe('high/low functions', () => {
  const completeDefaults = (indicator: Indicator) => completeArgs(indicator, {});

  it('do not modify their inputs', () => {
    const s = SERIES.ohlc;
    const before = [s.high, s.low, s.close, s.volume].map((x) => Float64Array.from(x));
    for (const indicator of HIGH_LOW) indicator.compute(s, completeDefaults(indicator));
    expect([s.high, s.low, s.close, s.volume]).toEqual(before);
  });

  it('return one value per row, also for empty input', () => {
    const empty = { high: new Float64Array(0), low: new Float64Array(0), close: new Float64Array(0), volume: new Float64Array(0) };
    for (const indicator of HIGH_LOW) expect(indicator.compute(empty, completeDefaults(indicator)).length, indicator.name).toBe(0);
  });

  it('take windows far longer than the series', () => {
    const s = SERIES.short;
    for (const indicator of HIGH_LOW) {
      const args = completeDefaults(indicator);
      for (const arg of indicator.args) if (arg.positive) args[arg.name] = 2 ** 20;
      expect(indicator.compute(s, args).length, indicator.name).toBe(s.close.length);
    }
  });

  it('refuse a window that is not a positive integer and a negative offset', () => {
    const s = SERIES.short;
    expect(() => findIndicator('average_true_range')!.compute(s, { window: 0 })).toThrow(RangeError);
    expect(() => findIndicator('cci')!.compute(s, { window: 2.5, constant: 0.015 })).toThrow(RangeError);
    expect(() => findIndicator('donchian_channel_hband')!.compute(s, { window: 3, offset: -1 })).toThrow(RangeError);
  });
});
