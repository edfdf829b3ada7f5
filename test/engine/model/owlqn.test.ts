/**
 * Regularised fits (docs/regularisation.md) against real PySpark: test/py/spark_regularised.py fits
 * `LinearRegression(regParam=λ, elasticNetParam=α)` on the same rows in one partition, one Spark
 * session for every problem. Ridge (α = 0) goes through Cholesky on the penalised diagonal; elastic net
 * and lasso through OWL-QN (src/engine/model/owlqn.ts). Checked: coefficients, intercept and
 * predictions (ridge within 1e-9, OWL-QN within 1e-6), Spark's zero coefficients exactly 0 in the
 * engine and the other way round, Spark's objective history value for value (which pins the number of
 * OWL-QN states and the stopping rule), and the standard errors only where Spark gives them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleFeatures } from '../../../src/engine/features/assemble.js';
import { featureColumns, parseFeatureSpec } from '../../../src/engine/features/spec.js';
import { runPipeline } from '../../../src/engine/pipeline.js';
import { predict } from '../../../src/engine/model/predict.js';
import { trainingSummary } from '../../../src/engine/model/summary.js';
import { fitWeightedLeastSquares } from '../../../src/engine/model/wls.js';
import { relativeDifference } from '../../../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../../../src/parity/pyenv.js';
import { ROOT } from '../../helpers/cli.js';
import { ALGORAND_CSV } from '../../helpers/datasets.js';
import { lcg } from '../../helpers/lcg.js';
import { runPython } from '../../helpers/python.js';

interface SparkFit {
  coefficients: number[];
  intercept: number;
  objectiveHistory: number[];
  predictions: number[];
  standardErrors: number[] | null;
}

interface Problem {
  name: string;
  features: Float64Array[];
  label: Float64Array;
}

interface Case {
  problem: Problem;
  regParam: number;
  elasticNet: number;
}

let env: PythonEnv;
let work: string;
beforeAll(async () => {
  env = await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-owlqn-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function sparkFits(cases: Case[]): Promise<SparkFit[]> {
  const file = join(work, 'problems.json');
  const problems = cases.map(({ problem, regParam, elasticNet }) => ({
    x: Array.from(problem.label, (_, i) => problem.features.map((f) => f[i])),
    y: Array.from(problem.label),
    regParam,
    elasticNet,
  }));
  await writeFile(file, JSON.stringify({ problems }));
  const text = await runPython(env, [join(ROOT, 'test', 'py', 'spark_regularised.py'), file]);
  // Non-finite numbers come as their names ("Infinity"): Number() reads them back.
  return JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? Number(value) : value)) as SparkFit[];
}

/** The training rows `predict --features SPEC` fits on the real Algorand history (seed 42, ratio 0.7). */
async function realProblem(spec: string): Promise<Problem> {
  const { train } = await runPipeline({ input: ALGORAND_CSV, features: spec });
  const columns = featureColumns(parseFeatureSpec(spec));
  return { name: `algorand ${spec.length > 40 ? `${spec.slice(0, 40)}…` : spec}`, features: assembleFeatures(train, columns), label: train.nextPrice };
}

/** A price walk with volume and marketCap exactly affine in it, and a constant column: singular unpenalised. */
function collinearProblem(n: number, seed: number): Problem {
  const random = lcg(seed);
  let cents = 300_000;
  const cols = [0, 1, 2, 3].map(() => new Float64Array(n));
  const label = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cents = Math.max(1000, cents + Math.floor(random() * 8001) - 4000);
    cols[0][i] = cents / 100;
    cols[1][i] = 10 * cents + 500_000;
    cols[2][i] = 190_000 * cents + 100_000_000;
    cols[3][i] = 7.25;
    label[i] = 0.9 * cols[0][i] + 40 * (random() - 0.5);
  }
  return { name: 'collinear', features: cols, label };
}

const INDICATOR_SPEC =
  'price,volume,marketCap,rsi,macd,macd_signal,macd_diff,sma_indicator,ema_indicator,bollinger_mavg,bollinger_hband,bollinger_lband,bollinger_pband,roc,on_balance_volume';

describe('regularised fits against PySpark', () => {
  const cases: Case[] = [];
  let spark: SparkFit[];
  beforeAll(async () => {
    const real = await realProblem('price,volume,marketCap,rsi');
    const wide = await realProblem(INDICATOR_SPEC);
    const collinear = collinearProblem(400, 5);
    for (const problem of [real, wide, collinear]) {
      for (const [regParam, elasticNet] of [[0.1, 0], [0.01, 0.5], [0.05, 1], [0.001, 1]]) cases.push({ problem, regParam, elasticNet });
    }
    spark = await sparkFits(cases);
  }, 600_000);

  it('every case agrees with Spark', () => {
    const failures: string[] = [];
    cases.forEach(({ problem, regParam, elasticNet }, index) => {
      const reference = spark[index];
      const label = `${problem.name} λ=${regParam} α=${elasticNet}`;
      const fit = fitWeightedLeastSquares(problem.features, problem.label, undefined, { regParam, elasticNetParam: elasticNet });
      const ridge = elasticNet === 0;
      const tolerance = ridge ? 1e-9 : 1e-6;
      expect(fit.solver, label).toBe(ridge ? 'cholesky' : 'owlqn');
      const prediction = predict(fit.coefficients, fit.intercept, problem.features);
      let worst = 0;
      reference.predictions.forEach((p, i) => (worst = Math.max(worst, relativeDifference(prediction[i], p))));
      if (worst > tolerance) failures.push(`${label}: predictions ${worst.toExponential(2)}`);
      reference.coefficients.forEach((c, j) => {
        if ((c === 0) !== (fit.coefficients[j] === 0)) failures.push(`${label}: coefficient ${j} engine ${fit.coefficients[j]} spark ${c}`);
        else if (relativeDifference(c, fit.coefficients[j]) > tolerance && Math.abs(c - fit.coefficients[j]) > 1e-300) {
          failures.push(`${label}: coefficient ${j} engine ${fit.coefficients[j]} spark ${c}`);
        }
      });
      if (!ridge) {
        const history = fit.objectiveHistory ?? [];
        // Spark's history is F at every OWL-QN state: the same values, state for state.
        if (history.join() !== reference.objectiveHistory.join()) {
          failures.push(`${label}: objective history (${history.length} states) differs from Spark's (${reference.objectiveHistory.length})`);
        }
      }
      const summary = trainingSummary(fit, prediction, problem.label, problem.features.length);
      if ((summary.coefficientStandardErrors === null) !== (reference.standardErrors === null)) {
        failures.push(`${label}: standard errors engine ${summary.coefficientStandardErrors === null ? 'none' : 'given'}, Spark ${reference.standardErrors === null ? 'none' : 'given'}`);
      } else if (reference.standardErrors !== null) {
        reference.standardErrors.forEach((se, j) => {
          if (relativeDifference(se, summary.coefficientStandardErrors![j]) > 1e-9) failures.push(`${label}: se ${j}`);
        });
      }
    });
    expect(failures).toEqual([]);
  });

  it('the lasso zeroes coefficients (so the exact-zero check above means something)', () => {
    const zeros = cases.filter((c) => c.elasticNet === 1).map((c) => spark[cases.indexOf(c)].coefficients.filter((v) => v === 0).length);
    expect(Math.max(...zeros)).toBeGreaterThan(0);
  });
});
