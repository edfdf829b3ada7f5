/**
 * The screening (docs/screening.md) against arch 8.0.0's own SPA, StepM and MCS, run by
 * test/py/screening_oracle.py with the engine's bootstrap indices injected into arch's stationary
 * bootstrap: on the walk-forward losses of the real Algorand history and on generated losses (one candidate
 * truly better, all alike, fifty candidates). p-values are shares of bootstrap counts, so they must match
 * exactly; means to rounding.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { stationaryBootstrapIndices, indicesFingerprint } from '../../src/experiment/screening/indices.js';
import { screen, screenWithIndices, ScreeningInputError, type Losses, type ScreeningResult } from '../../src/experiment/screening/screen.js';
import { ensurePythonEnv, type PythonEnv } from '../../src/parity/pyenv.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';
import { runPython } from '../helpers/python.js';
import { useScratchFolder } from '../helpers/scratch.js';
import { ROOT } from '../helpers/cli.js';

const scratch = useScratchFolder('screening');
let env: PythonEnv;
beforeAll(async () => {
  env = await ensurePythonEnv();
});

interface ArchRun {
  arch: string;
  spa: { statistic: number; pvalues: { lower: number; consistent: number; upper: number }; meanLossDiff: Record<string, number>; valid: Record<string, boolean> };
  stepm: Record<string, string[]>;
  mcs: Record<'R' | 'max', { pvalues: Record<string, number>; included: string[] }>;
}

async function compareWithArch(label: string, benchmark: Losses, candidates: Losses[], reps: number, blockSize: number): Promise<ScreeningResult> {
  const T = benchmark.values.length;
  const indices = stationaryBootstrapIndices(T, reps, blockSize, 42);
  const ours = screenWithIndices(benchmark, candidates, indices);
  const indicesFile = join(scratch.dir, `${label}.i32`);
  await writeFile(indicesFile, Buffer.from(indices.values.buffer, indices.values.byteOffset, indices.values.byteLength));
  const job = await scratch.file(
    JSON.stringify({
      benchmark: Array.from(benchmark.values),
      names: candidates.map((c) => c.name),
      candidates: candidates.map((c) => Array.from(c.values)),
      indices: indicesFile,
      reps,
      blockSize,
    }),
    `${label}.json`,
  );
  const arch = JSON.parse(await runPython(env, [join(ROOT, 'test/py/screening_oracle.py'), job])) as ArchRun;

  expect(arch.arch).toBe('8.0.0');
  expect(ours.spa.pvalues).toEqual(arch.spa.pvalues);
  expect(ours.spa.valid).toEqual(arch.spa.valid);
  expect(relative(ours.spa.statistic, arch.spa.statistic)).toBeLessThan(1e-12);
  for (const c of candidates) expect(relative(ours.spa.meanLossDiff[c.name], arch.spa.meanLossDiff[c.name])).toBeLessThan(1e-12);
  expect(ours.stepm.map((s) => [s.size, s.superior])).toEqual([
    [0.05, arch.stepm['0.05']],
    [0.1, arch.stepm['0.1']],
  ]);
  for (const method of ['R', 'max'] as const) {
    expect(ours.mcs[method].pvalues, `MCS ${method}`).toEqual(arch.mcs[method].pvalues);
    expect(ours.mcs[method].included, `MCS ${method}`).toEqual(arch.mcs[method].included);
  }
  return ours;
}

function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-300, Math.abs(a), Math.abs(b));
}

/** Squared errors of an AR(1) error series with standard deviation `scale` (deterministic, seeded). */
function squaredErrors(days: number, scale: number, random: () => number, common?: Float64Array): Float64Array {
  const out = new Float64Array(days);
  let e = 0;
  for (let t = 0; t < days; t++) {
    e = 0.3 * e + normal(random) * Math.sqrt(1 - 0.09);
    const error = scale * (common ? 0.6 * common[t] + 0.8 * e : e);
    out[t] = error * error;
  }
  return out;
}
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function commonShock(days: number, random: () => number): Float64Array {
  return Float64Array.from({ length: days }, () => normal(random));
}
/** Seeded losses over `days` sharing one common shock: the benchmark's (scale 1), then one candidate per scale, `${prefix}${k}`. */
function generatedLosses(seed: number, days: number, prefix: string, scales: number[]): { bench: Losses; candidates: Losses[] } {
  const random = mulberry32(seed);
  const shock = commonShock(days, random);
  const bench = { name: 'persistence', values: squaredErrors(days, 1, random, shock) };
  const candidates = scales.map((scale, k) => ({ name: `${prefix}${k}`, values: squaredErrors(days, scale, random, shock) }));
  return { bench, candidates };
}

const ALGORAND_SETS = [
  'base=price,volume,marketCap,rsi',
  'price_only=price',
  'mixed=price,rsi(window=9),volume',
  'rsi_windows=price,rsi(window=5),rsi(window=21)',
  'ta=price,macd_diff,bollinger_pband(window=25,window_dev=1.5),on_balance_volume',
];

describe('screening equals arch 8.0.0 given the same bootstrap indices', () => {
  it('on the walk-forward losses of the real Algorand history', async () => {
    const run = await runExperiment({ input: ALGORAND_CSV, sets: ALGORAND_SETS.map(parseSetFlag), trainRatio: 0.7, refitEvery: 5, target: 'price', threads: 1 });
    const { nextPrice, persistence, sets } = run.forecasts;
    const losses = (name: string, forecasts: Float64Array): Losses => ({
      name,
      values: forecasts.map((f, t) => (f - nextPrice[t]) ** 2),
    });
    const T = nextPrice.length;
    const ours = await compareWithArch(
      'algorand',
      losses('persistence', persistence),
      sets.map((s) => losses(s.name, s.forecasts)),
      10_000,
      Math.floor(Math.sqrt(T)),
    );
    expect(Object.keys(ours.spa.meanLossDiff)).toHaveLength(sets.length);
  }, 120_000);

  it('when one candidate is truly better', async () => {
    const { bench, candidates } = generatedLosses(7, 250, 'c', [1.02, 1.0, 0.75, 1.05, 0.99, 1.1]);
    const ours = await compareWithArch('better', bench, candidates, 5_000, 15);
    expect(ours.spa.pvalues.consistent).toBeLessThan(0.05);
    expect(ours.stepm[0].superior).toContain('c2');
    expect(ours.mcs.R.included).toContain('c2');
    expect(ours.mcs.R.included).not.toContain('persistence');
  }, 120_000);

  it('when every candidate is alike', async () => {
    const { bench, candidates } = generatedLosses(11, 200, 'same', new Array<number>(6).fill(1));
    const ours = await compareWithArch('alike', bench, candidates, 5_000, 14);
    expect(ours.spa.pvalues.consistent).toBeGreaterThan(0.1);
    expect(ours.stepm.every((s) => s.superior.length === 0)).toBe(true);
  }, 120_000);

  it('with fifty candidates over 300 days', async () => {
    const scales = Array.from({ length: 50 }, (_, k) => (k % 10 === 3 ? 0.85 : 0.97 + 0.002 * k));
    const { bench, candidates } = generatedLosses(23, 300, 'm', scales);
    await compareWithArch('many', bench, candidates, 2_000, 17);
  }, 300_000);
});

describe('screening input it refuses', () => {
  const days = (n: number) => Float64Array.from({ length: n }, (_, t) => 1 + ((t * 7) % 5));
  const bench = (n: number): Losses => ({ name: 'persistence', values: days(n) });
  it('fewer than 3 test days', () => {
    expect(() => screen(bench(2), [{ name: 'a', values: Float64Array.of(1, 3) }], { seed: 42, reps: 1000 })).toThrow(
      /at least 3 test days.*got 2/,
    );
  });
  it('fewer than 100 replications', () => {
    expect(() => screen(bench(20), [{ name: 'a', values: days(20).map((x) => x * 2) }], { seed: 42, reps: 99 })).toThrow(ScreeningInputError);
  });
  it('two candidates with identical forecasts, named', () => {
    const a = days(20).map((x, t) => x + (t % 3));
    expect(() =>
      screen(bench(20), [{ name: 'a', values: a }, { name: 'b', values: days(20).map((x) => x * 2) }, { name: 'twin', values: a.slice() }], { seed: 42, reps: 1000 }),
    ).toThrow(/"a" and "twin"/);
  });
});

describe('bootstrap indices', () => {
  it('continue a block with probability 1 − 1/b and wrap at T', () => {
    const indices = stationaryBootstrapIndices(50, 400, 5, 42);
    let continued = 0;
    for (let r = 0; r < indices.reps; r++) {
      for (let t = 1; t < 50; t++) if (indices.values[r * 50 + t] === (indices.values[r * 50 + t - 1] + 1) % 50) continued++;
    }
    // 1 − p = 0.8, plus the 1/50 chance that a fresh draw happens to continue the block.
    expect(continued / (400 * 49)).toBeGreaterThan(0.79);
    expect(continued / (400 * 49)).toBeLessThan(0.83);
    const again = stationaryBootstrapIndices(50, 400, 5, 42);
    expect(indicesFingerprint(again)).toEqual(indicesFingerprint(indices));
    expect(indicesFingerprint(stationaryBootstrapIndices(50, 400, 5, 43)).sum).not.toBe(indicesFingerprint(indices).sum);
  });
});
