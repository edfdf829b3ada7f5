/**
 * Regularised fits (docs/regularisation.md) against the real PySpark job: ridge, elastic net and lasso
 * on the real Algorand history and on a collinear file (volume and marketCap affine in price, where
 * the unpenalised fit is singular). Every job run goes through one spark-submit (test/py/job_batch.py
 * calls the job's own `main` once per case), then each output folder is compared with the engine's
 * run on the same flags (src/parity/compare.ts): ridge within 1e-9, OWL-QN within 1e-6, a coefficient
 * either side zeroes exactly 0 on the other. Bad λ or α: both refuse with exit 2.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/engine/pipeline.js';
import { formatParityReport, type ParityReport } from '../../src/parity/compare.js';
import { compareEngineWithFolder } from '../../src/parity/compareFolder.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { runSparkJob } from '../../src/parity/spark.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { affineCsv, ALGORAND_CSV } from '../helpers/datasets.js';

const WIDE_SPEC =
  'price,volume,marketCap,rsi,macd,macd_signal,macd_diff,sma_indicator,ema_indicator,bollinger_mavg,bollinger_hband,bollinger_lband,bollinger_pband,roc,on_balance_volume';

interface Case {
  name: string;
  input: 'algorand' | 'collinear';
  features?: string;
  regParam: number;
  elasticNet: number;
  solver: 'cholesky' | 'owlqn';
}

const CASES: Case[] = [
  { name: 'ridge', input: 'algorand', regParam: 0.1, elasticNet: 0, solver: 'cholesky' },
  { name: 'enet', input: 'algorand', regParam: 0.01, elasticNet: 0.5, solver: 'owlqn' },
  { name: 'lasso', input: 'algorand', regParam: 0.05, elasticNet: 1, solver: 'owlqn' },
  { name: 'lasso-wide', input: 'algorand', features: WIDE_SPEC, regParam: 0.001, elasticNet: 1, solver: 'owlqn' },
  { name: 'ridge-collinear', input: 'collinear', regParam: 0.1, elasticNet: 0, solver: 'cholesky' },
  { name: 'enet-collinear', input: 'collinear', regParam: 0.02, elasticNet: 0.3, solver: 'owlqn' },
  { name: 'lasso-collinear', input: 'collinear', regParam: 0.01, elasticNet: 1, solver: 'owlqn' },
];
/** Flags both sides must refuse. */
const REFUSED: string[][] = [
  ['--reg-param', '-0.1'],
  ['--reg-param', 'inf'],
  ['--elastic-net', '1.5'],
];

let work: string;
let collinearCsv: string;
const reports = new Map<string, ParityReport>();
let codes: number[] = [];

const inputOf = (c: Case) => (c.input === 'algorand' ? ALGORAND_CSV : collinearCsv);
const flagsOf = (c: Case) => [
  ...(c.features ? ['--features', c.features] : []),
  '--reg-param', String(c.regParam),
  '--elastic-net', String(c.elasticNet),
];

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-regularised-'));
  collinearCsv = affineCsv(work, 'collinear.csv', 500, 5);
  const jobLines = [
    ...CASES.map((c) => ['--input', inputOf(c), '--output', join(work, c.name), ...flagsOf(c)]),
    ...REFUSED.map((flags, i) => ['--input', ALGORAND_CSV, '--output', join(work, `refused-${i}`), ...flags]),
  ];
  const casesFile = join(work, 'cases.json');
  await writeFile(casesFile, JSON.stringify(jobLines));
  const spark = await runSparkJob({ script: join(ROOT, 'test', 'py', 'job_batch.py'), input: casesFile, output: join(work, 'batch') });
  if (spark.exitCode !== 0) throw new Error(`the batch of jobs failed (exit ${spark.exitCode}):\n${spark.stderr.slice(-3000)}`);
  codes = JSON.parse(await readFile(join(work, 'batch', 'codes.json'), 'utf8')) as number[];
  for (const c of CASES) {
    const engine = await runPipeline({ input: inputOf(c), features: c.features, regParam: c.regParam, elasticNet: c.elasticNet });
    const { report } = await compareEngineWithFolder(join(work, c.name), { predictions: engine.predictions, report: engine.report });
    reports.set(c.name, report);
  }
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('regularised fits: engine vs the PySpark job', () => {
  for (const [index, c] of CASES.entries()) {
    it(`${c.name}: λ=${c.regParam} α=${c.elasticNet} on ${c.input}${c.features ? ' (15 features)' : ''}: ${c.solver}, parity holds`, async () => {
      expect(codes[index]).toBe(0);
      const report = reports.get(c.name)!;
      const text = formatParityReport(report);
      expect(report.ok, text).toBe(true);
      const sparkModel = JSON.parse(await readFile(join(work, c.name, '_model.json'), 'utf8')).model;
      expect(sparkModel.solver).toBe(c.solver);
      expect([sparkModel.regParam, sparkModel.elasticNetParam]).toEqual([c.regParam, c.elasticNet]);
      const prediction = report.columns.find((d) => d.name === 'prediction')!;
      expect(prediction.tolerance).toBe(c.solver === 'cholesky' ? 1e-9 : 1e-6);
      if (c.solver === 'owlqn') {
        expect(report.model.find((d) => d.name === 'coefficients that are 0')?.ok, text).toBe(true);
        // No standard errors on Spark's quasi-Newton path, on either side.
        expect(JSON.parse(await readFile(join(work, c.name, '_model.json'), 'utf8')).training.coefficientStandardErrors).toBeNull();
      }
    });
  }

  it('the lasso zeroes some coefficients on the real data (the exact-zero comparison is not vacuous)', async () => {
    const model = JSON.parse(await readFile(join(work, 'lasso', '_model.json'), 'utf8')).model;
    expect(model.coefficients.filter((v: number) => v === 0).length).toBeGreaterThan(0);
  });

  it('both refuse λ < 0, λ = inf and α > 1 with exit 2, writing nothing', async () => {
    REFUSED.forEach((_, i) => expect(codes[CASES.length + i], REFUSED[i].join(' ')).toBe(2));
    for (const [i, flags] of REFUSED.entries()) {
      expect(existsSync(join(work, `refused-${i}`))).toBe(false);
      const output = join(work, `engine-refused-${i}`);
      const run = await runCli(['predict', '--input', ALGORAND_CSV, '--output', output, ...flags]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(flags[0]);
      expect(existsSync(output)).toBe(false);
    }
  });
});
