/**
 * The weighted-least-squares layer beyond the plain Cholesky path (docs/fit.md#fallback-solver, docs/fit.md#overflow):
 * - collinear features (volume and marketCap affine in price): Cholesky fails and Spark retries with
 *   L-BFGS, which heads for the minimum-norm solution over the centred, standardized features; the
 *   engine runs the same L-BFGS (test/engine/model/quasiNewton.test.ts: bit for bit against PySpark), checked here
 *   to land near numpy's lstsq (test/py/lstsq.py --centre);
 * - values near 1e300: the sums overflow; the fit refuses with FitOverflowError (a usage error,
 *   exit 2) instead of returning an all-NaN model;
 * - lapack.ts's symmetric eigen-decomposition, which the fallback uses, reconstructs its matrix.
 * The comparison with the real PySpark job is test/parity/wls.test.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/engine/errors.js';
import { FitOverflowError, fitWeightedLeastSquares } from '../../../src/engine/model/wls.js';
import { ensurePythonEnv, type PythonEnv } from '../../../src/parity/pyenv.js';
import { relativeDifference } from '../../../src/parity/compare.js';
import { ROOT } from '../../helpers/cli.js';
import { lcg } from '../../helpers/lcg.js';
import { runPython } from '../../helpers/python.js';
import { useScratchFolder } from '../../helpers/scratch.js';

let env: PythonEnv;
const scratch = useScratchFolder('wls');
beforeAll(async () => {
  env = await ensurePythonEnv();
});
function python(args: string[]): Promise<string> {
  return runPython(env, args);
}

/** A price walk in cents; volume and marketCap exactly affine in price; an independent 4th column. */
function affineFeatures(n: number, seed: number) {
  const random = lcg(seed);
  let cents = 300_000;
  const price = new Float64Array(n);
  const volume = new Float64Array(n);
  const marketCap = new Float64Array(n);
  const other = new Float64Array(n);
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cents = Math.max(1000, cents + Math.floor(random() * 8001) - 4000);
    price[i] = cents / 100;
    volume[i] = 10 * cents + 500_000; // = 1000 · price + 500000
    marketCap[i] = 190_000 * cents + 100_000_000; // = 1.9e7 · price + 1e8
    other[i] = 100 * random();
    label[i] = 0.9 * price[i] + 0.3 * other[i] + 40 * (random() - 0.5);
  }
  return { features: [price, volume, marketCap, other], label };
}

async function numpyLstsq(features: Float64Array[], label: Float64Array, flags: string[]) {
  const file = join(scratch.dir, `lstsq-${Math.random().toString(36).slice(2)}.json`);
  const x = Array.from(label, (_, i) => features.map((f) => f[i]));
  await writeFile(file, JSON.stringify({ x, y: Array.from(label) }));
  return JSON.parse(await python([join(ROOT, 'test', 'py', 'lstsq.py'), file, ...flags])) as {
    coefficients: number[];
    intercept: number;
    rank: number;
  };
}

describe('the fallback when Cholesky fails (collinear features)', () => {
  it('volume and marketCap affine in price: fits, and equals the minimum-norm solution over the centred features', async () => {
    const { features, label } = affineFeatures(500, 11);
    const fit = fitWeightedLeastSquares(features, label);
    expect(fit.solver).toBe('fallback');
    expect(fit.diagInvAtWA).toBeNull();
    // numpy: SVD least squares on the centred, standardized columns, singular values below 1e-5 of
    // the largest cut (about the engine's eigenvalue cut-off, 1e-10, square-rooted).
    const numpy = await numpyLstsq(features, label, ['--centre', '--rcond', '1e-5']);
    expect(numpy.rank).toBe(3); // price/volume/marketCap count once, the 4th column, the intercept
    // Spark's L-BFGS (ported exactly, test/engine/model/quasiNewton.test.ts) stops at its tolerance 1e-6 near this limit.
    fit.coefficients.forEach((c, j) => {
      expect(relativeDifference(c, numpy.coefficients[j]), `coefficient ${j}: ${c} vs ${numpy.coefficients[j]}`).toBeLessThanOrEqual(1e-5);
    });
    expect(relativeDifference(fit.intercept, numpy.intercept)).toBeLessThanOrEqual(1e-5);
  });

  it('the collinear features share the weight equally in standardized units, the prediction is the full fit', () => {
    const { features, label } = affineFeatures(400, 5);
    const fit = fitWeightedLeastSquares(features, label);
    const [price, volume, marketCap] = fit.coefficients;
    // In price units each of the three carries the same weight: 1000 · volume = 1.9e7 · marketCap = price.
    expect(relativeDifference(1000 * volume, price)).toBeLessThan(1e-9);
    expect(relativeDifference(1.9e7 * marketCap, price)).toBeLessThan(1e-9);
    // Together they are the slope on price of a fit without the redundant columns.
    const reduced = fitWeightedLeastSquares([features[0], features[3]], label);
    expect(reduced.solver).toBe('cholesky');
    expect(relativeDifference(3 * price, reduced.coefficients[0])).toBeLessThan(1e-8);
    expect(relativeDifference(fit.coefficients[3], reduced.coefficients[1])).toBeLessThan(1e-8);
  });

  it('a feature equal to another (not merely affine): both get half the slope', () => {
    const { features, label } = affineFeatures(300, 9);
    const fit = fitWeightedLeastSquares([features[0], features[0].slice(), features[3]], label);
    expect(fit.solver).toBe('fallback');
    expect(fit.coefficients[0]).toBeCloseTo(fit.coefficients[1], 12);
    const reduced = fitWeightedLeastSquares([features[0], features[3]], label);
    // Near the exact split: Spark's L-BFGS stops on a 1e-6 relative change of the objective, which
    // leaves the parameters ~√1e-6 off at worst (measured here: 4e-5 on the intercept).
    expect(relativeDifference(2 * fit.coefficients[0], reduced.coefficients[0])).toBeLessThan(1e-4);
    expect(relativeDifference(fit.intercept, reduced.intercept)).toBeLessThan(1e-4);
  });
});

describe('overflow (values near 1e300)', () => {
  it('refuses with FitOverflowError, a usage error naming the column, instead of an all-NaN model', () => {
    const n = 50;
    const price = Float64Array.from({ length: n }, (_, i) => 1e300 * (1 + i / n));
    const volume = Float64Array.from({ length: n }, (_, i) => 1000 + (i % 7));
    const marketCap = Float64Array.from({ length: n }, (_, i) => 5000 + (i % 5));
    const rsi = Float64Array.from({ length: n }, (_, i) => 50 + (i % 3));
    const label = Float64Array.from({ length: n }, (_, i) => 1 + i);
    let error: unknown;
    try {
      fitWeightedLeastSquares([price, volume, marketCap, rsi], label, ['price', 'volume', 'marketCap', 'rsi']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FitOverflowError);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/squares of price /);
    expect((error as Error).message).toMatch(/over the 50 training rows/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(() => fitWeightedLeastSquares([volume, price], label)).toThrow(/squares of feature column 2 /);
  });

  it('an overflowing label is named too; values of 1e150 still fit', () => {
    const n = 40;
    const x = Float64Array.from({ length: n }, (_, i) => i + (i % 3));
    expect(() => fitWeightedLeastSquares([x], Float64Array.from({ length: n }, (_, i) => 1e200 * (i + 1)))).toThrow(
      /the label/,
    );
    const fit = fitWeightedLeastSquares([x], Float64Array.from({ length: n }, (_, i) => 1e150 * (2 * x[i] + 1)));
    expect(relativeDifference(fit.coefficients[0], 2e150)).toBeLessThan(1e-12);
  });
});

