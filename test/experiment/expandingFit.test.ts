/**
 * The expanding-window fit kept as running sums equals the engine's from-scratch fit on every refit of
 * a walk-forward, bit for bit (same rows, same order, same solve), including the Cholesky fallback;
 * and a forecast never depends on its own row's label or anything after it (no look-ahead).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitWeightedLeastSquares } from '../../src/engine/model/wls.js';
import { ExpandingFit } from '../../src/experiment/expandingFit.js';
import { commonRows } from '../../src/experiment/rows.js';
import { loadSeries } from '../../src/experiment/series.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { targetLabel } from '../../src/experiment/target.js';
import { walkForward, walkForwardPlan } from '../../src/experiment/walkForward.js';
import { ROOT } from '../helpers/cli.js';
import { constantColumn, DEFAULT_CSV } from '../helpers/datasets.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const REAL_CSV = ALGORAND_CSV;
const scratch = useScratchFolder('expanding');
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function rowsOf(csv: string, spec: string) {
  const set = parseSetFlag(`s=${spec}`);
  const { sorted } = await loadSeries(csv, set.items);
  const rows = commonRows(sorted.columns, [set]);
  return { rows, features: rows.features[0] };
}

describe('ExpandingFit', () => {
  const cases: [string, () => string, string, number, 'price' | 'return'][] = [
    ['default data, default set', () => DEFAULT_CSV, 'price,volume,marketCap,rsi', 1, 'price'],
    ['default data, default set, return target', () => DEFAULT_CSV, 'price,volume,marketCap,rsi', 3, 'return'],
    // marketCap is 0 on the first real row: Spark's dspr skips a zero entry, and so must the sums.
    ['real data, price and marketCap from row 0', () => REAL_CSV, 'price,marketCap', 1, 'price'],
    ['real data, default set', () => REAL_CSV, 'price,volume,marketCap,rsi(window=9)', 1, 'return'],
    // A constant column: Cholesky fails on every window and the fallback solves.
    ['constant volume (fallback solver)', () => constantColumn(scratch.dir, 'volume', 5), 'price,volume,rsi', 4, 'price'],
  ];

  it.each(cases)('%s: every refit equals a from-scratch engine fit, bit for bit', async (_name, csv, spec, k, target) => {
    const { rows, features } = await rowsOf(csv(), spec);
    const plan = walkForwardPlan(rows.day.length, 0.7, k, target);
    const label = targetLabel(target, rows.price, rows.nextPrice);
    let refits = 0;
    const solvers = new Set<string>();
    walkForward(features, rows.price, rows.nextPrice, plan, { onRefit: (s, incremental) => {
      const scratch = fitWeightedLeastSquares(
        features.map((c) => c.subarray(0, s)),
        label.subarray(0, s),
      );
      expect(sameBits(incremental.coefficients, scratch.coefficients), `coefficients at window end ${s}`).toBe(true);
      expect(Object.is(incremental.intercept, scratch.intercept), `intercept at window end ${s}`).toBe(true);
      expect(incremental.solver).toBe(scratch.solver);
      solvers.add(incremental.solver);
      refits++;
    } });
    expect(refits).toBe(Math.ceil((plan.n - plan.trainCount) / k));
    if (spec.includes('volume') && _name.startsWith('constant')) expect([...solvers]).toEqual(['fallback']);
    else expect([...solvers]).toEqual(['cholesky']);
  });

  it('adds each row once however the window grows', async () => {
    const { rows, features } = await rowsOf(DEFAULT_CSV, 'price,volume,marketCap,rsi');
    const label = rows.nextPrice;
    const stepwise = new ExpandingFit(features, label);
    for (const end of [10, 10, 11, 50, 49, 300]) stepwise.extendTo(end);
    const scratch = fitWeightedLeastSquares(features.map((c) => c.subarray(0, 300)), label.subarray(0, 300));
    expect(stepwise.rowCount).toBe(300);
    expect(sameBits(stepwise.solve().coefficients, scratch.coefficients)).toBe(true);
  });
});

describe('no look-ahead', () => {
  it('the forecast of row t is unchanged when next_price from row t on and every value after t change', async () => {
    const { rows, features } = await rowsOf(DEFAULT_CSV, 'price,volume,marketCap,rsi');
    for (const k of [1, 7]) {
      const plan = walkForwardPlan(rows.day.length, 0.7, k, 'price');
      const original = walkForward(features, rows.price, rows.nextPrice, plan);
      for (const t of [plan.trainCount, plan.trainCount + 3, plan.trainCount + 8, rows.day.length - 2]) {
        const scramble = (c: Float64Array, from: number) => {
          const copy = c.slice();
          for (let r = from; r < copy.length; r++) copy[r] = copy[r] * 3 + 1;
          return copy;
        };
        const changed = walkForward(
          features.map((c) => scramble(c, t + 1)),
          scramble(rows.price, t + 1),
          scramble(rows.nextPrice, t),
          plan,
        );
        const i = t - plan.trainCount;
        expect(sameBits(changed.subarray(0, i + 1), original.subarray(0, i + 1)), `K=${k}, t=${t}`).toBe(true);
        // The scrambled rows do change later forecasts, so the check above could fail.
        if (t < rows.day.length - 2) expect(sameBits(changed, original)).toBe(false);
      }
    }
  });
});

describe('worker threads', () => {
  it('give the same forecasts, bit for bit, as one thread', async () => {
    const { runExperiment } = await import('../../src/experiment/run.js');
    const sets = ['a=price,volume,marketCap,rsi', 'b=price', 'c=price,macd_diff,rsi(window=9)'].map(parseSetFlag);
    const options = { input: REAL_CSV, sets, trainRatio: 0.7, refitEvery: 3, target: 'return' as const };
    const one = await runExperiment({ ...options, threads: 1 });
    const two = await runExperiment({ ...options, threads: 2 });
    for (let i = 0; i < sets.length; i++) {
      expect(two.forecasts.sets[i].name).toBe(sets[i].name);
      expect(sameBits(two.forecasts.sets[i].forecasts, one.forecasts.sets[i].forecasts)).toBe(true);
    }
    expect(two.results).toEqual(one.results);
  });
});

describe('choosing threads', () => {
  it('stays in one thread for the real data, spreads a million rows over the cores', async () => {
    const { chooseThreads } = await import('../../src/experiment/parallel.js');
    const { availableParallelism } = await import('node:os');
    const forty = Array.from({ length: 40 }, () => 5);
    expect(chooseThreads(walkForwardPlan(887, 0.7, 1, 'price'), forty, 'auto')).toBe(1);
    const ten = Array.from({ length: 10 }, () => 5);
    expect(chooseThreads(walkForwardPlan(1_000_000, 0.7, 20, 'price'), ten, 'auto')).toBe(Math.min(10, availableParallelism()));
    expect(chooseThreads(walkForwardPlan(887, 0.7, 1, 'price'), forty, 3)).toBe(3);
    expect(chooseThreads(walkForwardPlan(887, 0.7, 1, 'price'), [4], 8)).toBe(1);
  });
});
