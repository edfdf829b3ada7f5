/**
 * Collinear features against the real PySpark job (docs/fit.md#fallback-solver): volume and marketCap exactly
 * affine in price. Spark's Cholesky fails and it retries with L-BFGS; the engine computes that
 * iteration's limit. `parity` must pass (fit within 1e-5, docs/fit.md) and `predict` must
 * exit 0 (before the fix: exit 1, "the intercept column is not positive definite").
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatParityReport, relativeDifference } from '../../src/parity/compare.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runParity } from '../../src/parity/run.js';
import { runCli } from '../helpers/cli.js';
import { affineCsv } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('wls-spark');
beforeAll(async () => {
  await ensurePythonEnv();
});

describe('collinear features: engine vs PySpark', () => {
  it('volume and marketCap affine in price: both fall back, parity holds, the weight is shared as Spark shares it', async () => {
    const input = affineCsv(scratch.dir, 'affine.csv', 600, 5);
    const outcome = await runParity({ input, seed: 42, split: 'random', trainRatio: 0.7 });
    const text = formatParityReport(outcome.report);
    expect(outcome.report.sameTestRows, text).toBe(true);
    expect(outcome.report.ok, text).toBe(true);
    const model = outcome.engine.report.model;
    expect(model.solver).toBe('fallback');
    const coefficients = outcome.report.model.find((d) => d.name === 'coefficients')!;
    expect(coefficients.count).toBe(4);
    expect(coefficients.maxRel, text).toBeLessThanOrEqual(1e-5);
    // Spark's limit gives each collinear column the same weight in price units.
    expect(relativeDifference(1000 * model.coefficients[1], model.coefficients[0])).toBeLessThan(1e-9);
  });

  it('pricecast predict exits 0 on it and reports the fallback solver', async () => {
    const input = affineCsv(scratch.dir, 'affine-predict.csv', 400, 9);
    const run = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'out'), '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).model.solver).toBe('fallback');
  });
});
