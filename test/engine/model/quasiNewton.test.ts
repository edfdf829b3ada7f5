/**
 * Spark's fallback when the normal equations are singular (docs/fit.md#fallback-solver):
 * Cholesky fails, Spark's WeightedLeastSquares retries with QuasiNewtonSolver (Breeze L-BFGS), and
 * the engine runs the same iteration (src/engine/model/quasiNewton.ts). Checked against real PySpark
 * (test/py/spark_regularised.py: LinearRegression with its defaults on the same rows, one partition) on
 * (a) features affine in each other, (b) a constant feature, (c) many nearly collinear columns plus an
 * exact duplicate, where L-BFGS stops far from the minimum-norm point; coefficients, intercept and
 * predictions within 1e-5 relative (docs/output.md), and Spark's objective history (one value per
 * L-BFGS state) matched value for value, which pins the iteration count and the stopping rule.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dropNulls } from '../../../src/engine/clean.js';
import { selectRows } from '../../../src/engine/columns.js';
import { computeFeatures, featureColumns, parseFeatureSpec } from '../../../src/engine/features/spec.js';
import { assembleFeatures } from '../../../src/engine/features/assemble.js';
import { CLOSE_VOLUME_INDICATORS as INDICATORS } from '../../../src/engine/features/indicators/catalogue.js'; // the real data has no high/low
import { ingestOptionsOf, prepareDaily, readDailyInput, requiredInputs } from '../../../src/engine/ingest/input.js';
import { nextPrice } from '../../../src/engine/label.js';
import { randomSplit, ROLE_TRAIN } from '../../../src/engine/split.js';
import { fitWeightedLeastSquares } from '../../../src/engine/model/wls.js';
import { relativeDifference } from '../../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../../src/parity/pyenv.js';
import { ROOT } from '../../helpers/cli.js';
import { lcg } from '../../helpers/lcg.js';
import { runPython } from '../../helpers/python.js';
import { ALGORAND_CSV } from '../../helpers/datasets.js';
import { useScratchFolder } from '../../helpers/scratch.js';

interface SparkFit {
  coefficients: number[];
  intercept: number;
  objectiveHistory: number[];
  predictions: number[];
}

interface Problem {
  name: string;
  features: Float64Array[];
  label: Float64Array;
}

let env: PythonEnv;
const scratch = useScratchFolder('quasi-newton');
beforeAll(async () => {
  env = await ensurePythonEnv();
});
function python(args: string[]): Promise<string> {
  return runPython(env, args);
}

/** One Spark session fits every problem (Spark start-up dominates). */
async function sparkFits(problems: Problem[]): Promise<SparkFit[]> {
  const file = join(scratch.dir, `problems-${Math.random().toString(36).slice(2)}.json`);
  const payload = problems.map(({ features, label }) => ({
    x: Array.from(label, (_, i) => features.map((f) => f[i])),
    y: Array.from(label),
  }));
  await writeFile(file, JSON.stringify({ problems: payload }));
  const text = await python([join(ROOT, 'test', 'py', 'spark_regularised.py'), file]);
  // Non-finite numbers come as their names ("Infinity"): Number() reads them back.
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? Number(value) : value)) as SparkFit[];
}

/** A price walk in cents, volume and marketCap exactly affine in price, an independent column. */
function affineProblem(n: number, seed: number): Problem {
  const random = lcg(seed);
  let cents = 300_000;
  const cols = [0, 1, 2, 3].map(() => new Float64Array(n));
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cents = Math.max(1000, cents + Math.floor(random() * 8001) - 4000);
    cols[0][i] = cents / 100;
    cols[1][i] = 10 * cents + 500_000;
    cols[2][i] = 190_000 * cents + 100_000_000;
    cols[3][i] = 100 * random();
    label[i] = 0.9 * cols[0][i] + 0.3 * cols[3][i] + 40 * (random() - 0.5);
  }
  return { name: 'affine', features: cols, label };
}

/** A price walk, a constant column, an independent column. */
function constantProblem(n: number, seed: number): Problem {
  const random = lcg(seed);
  let price = 50;
  const cols = [0, 1, 2].map(() => new Float64Array(n));
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    price = Math.max(1, price + (random() - 0.5) * 2);
    cols[0][i] = price;
    cols[1][i] = 7.25;
    cols[2][i] = random() * 10;
    label[i] = 1.1 * price - 0.2 * cols[2][i] + (random() - 0.5);
  }
  return { name: 'constant', features: cols, label };
}

/**
 * Indicator-like columns: a price walk, its moving averages over 5..40 rows, Bollinger-style bands
 * (mean ± 2 standard deviations, whose sum is twice the mean), and an exact copy of the price: nearly
 * collinear, very ill-conditioned, and exactly singular.
 */
function indicatorProblem(n: number, seed: number): Problem {
  const random = lcg(seed);
  const warm = 40;
  const walk: number[] = [];
  let p = 100;
  for (let i = 0; i <= n + warm; i++) {
    p = Math.max(5, p * (1 + (random() - 0.5) * 0.06));
    walk.push(p);
  }
  const mean = (i: number, w: number) => {
    let s = 0;
    for (let j = i - w + 1; j <= i; j++) s += walk[j];
    return s / w;
  };
  const std = (i: number, w: number) => {
    const m = mean(i, w);
    let s = 0;
    for (let j = i - w + 1; j <= i; j++) s += (walk[j] - m) ** 2;
    return Math.sqrt(s / w);
  };
  const windows = [5, 10, 20, 30, 40];
  const features: Float64Array[] = [];
  const push = (f: (i: number) => number) => features.push(Float64Array.from({ length: n }, (_, r) => f(r + warm)));
  push((i) => walk[i]);
  for (const w of windows) push((i) => mean(i, w));
  push((i) => mean(i, 20) + 2 * std(i, 20));
  push((i) => mean(i, 20) - 2 * std(i, 20));
  push((i) => walk[i]);
  const label = Float64Array.from({ length: n }, (_, r) => walk[r + warm + 1]);
  return { name: 'indicators', features, label };
}

const REAL_CSV = ALGORAND_CSV;

/**
 * The training rows of `pricecast predict --features <all 39 ta functions>` on the real Algorand
 * data (seed 42, ratio 0.7), as the engine assembles them: exactly collinear (bollinger_hband +
 * bollinger_lband = 2 · bollinger_mavg, …) and so ill-conditioned that L-BFGS stops at maxIter.
 */
async function realIndicatorProblem(): Promise<Problem> {
  const items = parseFeatureSpec(INDICATORS.map((i) => i.name).join(','));
  const columns = featureColumns(items);
  const ingest = await readDailyInput(REAL_CSV, { ...ingestOptionsOf({}), required: requiredInputs(items) });
  const { deduped } = prepareDaily(ingest, 'error');
  const values = computeFeatures(items, deduped.columns);
  const table = { day: deduped.columns.day } as Parameters<typeof dropNulls>[0];
  columns.forEach((column, j) => ((table as unknown as Record<string, Float64Array>)[column] = values[j]));
  table.nextPrice = nextPrice(deduped.columns.price);
  const cleaned = dropNulls(table);
  const train = selectRows(cleaned, randomSplit(cleaned.day.length, 0.7, 42).role, ROLE_TRAIN);
  return { name: 'real data, all 39 indicators', features: assembleFeatures(train, columns), label: train.nextPrice };
}

/** numpy's minimum-norm least squares over the centred, standardized features (test/py/lstsq.py). */
async function minimumNorm(problem: Problem): Promise<{ coefficients: number[]; intercept: number }> {
  const file = join(scratch.dir, `lstsq-${Math.random().toString(36).slice(2)}.json`);
  const x = Array.from(problem.label, (_, i) => problem.features.map((f) => f[i]));
  await writeFile(file, JSON.stringify({ x, y: Array.from(problem.label) }));
  return JSON.parse(await python([join(ROOT, 'test', 'py', 'lstsq.py'), file, '--centre', '--rcond', '1e-7']));
}

function predictions(features: Float64Array[], coefficients: Float64Array, intercept: number): number[] {
  return Array.from(features[0], (_, i) => {
    let dot = 0;
    for (let j = 0; j < features.length; j++) dot += features[j][i] * coefficients[j];
    return dot + intercept;
  });
}

describe('the L-BFGS fallback against PySpark', () => {
  const problems = [affineProblem(600, 5), constantProblem(300, 3), indicatorProblem(500, 7), indicatorProblem(800, 21)];
  let spark: SparkFit[];
  beforeAll(async () => {
    problems.push(await realIndicatorProblem());
    spark = await sparkFits(problems);
  }, 300_000);

  for (const index of [0, 1, 2, 3, 4]) {
    it(`problem #${index} (affine, constant, indicators ×2, real data): bit for bit where it matters: coefficients, intercept and predictions within 1e-5, the objective history Spark's`, () => {
      const problem = problems[index];
      const reference = spark[index];
      const fit = fitWeightedLeastSquares(problem.features, problem.label);
      expect(fit.solver).toBe('fallback');
      expect(reference.objectiveHistory.length).toBeGreaterThan(1); // Spark fell back too
      const engine = predictions(problem.features, fit.coefficients, fit.intercept);
      let coefficientRel = 0;
      fit.coefficients.forEach((c, j) => (coefficientRel = Math.max(coefficientRel, relativeDifference(c, reference.coefficients[j]))));
      const interceptRel = relativeDifference(fit.intercept, reference.intercept);
      let predictionRel = 0;
      engine.forEach((v, i) => (predictionRel = Math.max(predictionRel, relativeDifference(v, reference.predictions[i]))));
      const text = `${problem.name}: coef ${coefficientRel} intercept ${interceptRel} prediction ${predictionRel}; iterations spark ${reference.objectiveHistory.length}`;
      // The same L-BFGS states: one objective value per state, the stop at the same iteration.
      expect(fit.objectiveHistory, text).toEqual(reference.objectiveHistory);
      expect(coefficientRel, text).toBeLessThanOrEqual(1e-5);
      expect(interceptRel, text).toBeLessThanOrEqual(1e-5);
      expect(predictionRel, text).toBeLessThanOrEqual(1e-5);
    });
  }

  it('on the real data L-BFGS stops at maxIter, far from the minimum-norm point: the engine follows Spark, not the limit', async () => {
    const problem = problems[4];
    const reference = spark[4];
    expect(reference.objectiveHistory.length).toBe(101); // the start and 100 iterations
    const limit = await minimumNorm(problem);
    let sparkVsLimit = 0;
    let engineVsSpark = 0;
    const fit = fitWeightedLeastSquares(problem.features, problem.label);
    const engine = predictions(problem.features, fit.coefficients, fit.intercept);
    const atLimit = predictions(problem.features, Float64Array.from(limit.coefficients), limit.intercept);
    reference.predictions.forEach((p, i) => {
      sparkVsLimit = Math.max(sparkVsLimit, relativeDifference(p, atLimit[i]));
      engineVsSpark = Math.max(engineVsSpark, relativeDifference(engine[i], p));
    });
    expect(sparkVsLimit).toBeGreaterThan(1e-3);
    expect(engineVsSpark).toBeLessThanOrEqual(1e-12);
  });
});
