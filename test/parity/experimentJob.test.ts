/**
 * The experiment job (docs/parity.md#the-experiment-job): pyspark/walk_forward.py against the engine's
 * runExperiment / runPanelExperiment on the same input, sets and settings, through
 * src/parity/experimentParity.ts. Every case runs in ONE spark-submit (test/py/walk_forward_batch.py calls
 * the job's own `main` once per case), then the engine runs each case and the two results.json are
 * compared: every metric, DM statistic and p-value within 1e-9 relative, every other fact and the files'
 * keys equal.
 *
 * Cases: the bundled Algorand history with three sets (refit every row); with an unpenalised, a ridge and
 * a lasso set (Spark's OWL-QN replayed at every refit), target return, refit every 5, train ratio 0.6; the
 * seeded panel (fixtures/panel.ts: four assets scored, one too short and skipped) with a ridge and an
 * elastic-net set, and the panel test; a set with an unknown function, which both refuse.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricecastPanelCsv, PANEL_ASSET_NAMES } from '../../fixtures/panel.js';
import type { ExperimentResults, PanelResults } from '../../src/experiment/results.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import {
  EXPERIMENT_TOLERANCE,
  formatExperimentParity,
  keyPaths,
  runExperimentParity,
  WALK_FORWARD_JOB,
  walkForwardArgs,
  walkForwardArgumentFile,
  type ExperimentParityCase,
  type ExperimentParityOutcome,
} from '../../src/parity/experimentParity.js';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import type { SparkJobResult } from '../../src/parity/spark.js';
import { ROOT } from '../helpers/cli.js';
import { ALGORAND_CSV } from '../helpers/datasets.js';

const BASE = 'price,volume,marketCap,rsi';

let work: string;
let outcomes: ExperimentParityOutcome[] = [];
let spark: SparkJobResult[] = [];
let cases: ExperimentParityCase[] = [];

const outcome = (name: string) => outcomes.find((o) => o.case.name === name)!;

beforeAll(async () => {
  await ensurePythonEnv();
  work = await mkdtemp(join(tmpdir(), 'pricecast-experiment-job-'));
  const panelCsv = join(work, 'panel.csv');
  writeFileSync(panelCsv, pricecastPanelCsv(7));
  cases = [
    {
      name: 'algorand',
      input: ALGORAND_CSV,
      sets: [`base=${BASE}`, 'momentum=price,rsi(window=9),macd_diff', 'trend=price,volume,ema_indicator,bollinger_pband'],
    },
    {
      name: 'algorand-penalised',
      input: ALGORAND_CSV,
      sets: [`base=${BASE}`, `ridge=${BASE};regParam=0.1`, `lasso=${BASE};regParam=0.002;elasticNet=1`],
      target: 'return',
      refitEvery: 5,
      trainRatio: 0.6,
    },
    {
      name: 'panel',
      input: panelCsv,
      sets: [`base=${BASE}`, 'ridge=price,volume,rsi(window=9);regParam=0.05', `enet=${BASE};regParam=0.01;elasticNet=0.5`],
      panel: true,
    },
    { name: 'bad-set', input: ALGORAND_CSV, sets: ['bad=price,rsii'] },
  ];
  ({ outcomes, spark } = await runExperimentParity(cases, {
    batchScript: join(ROOT, 'test', 'py', 'walk_forward_batch.py'),
    workDir: join(work, 'jobs'),
  }));
}, 900_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the experiment job: pyspark/walk_forward.py vs the engine', () => {
  for (const name of ['algorand', 'algorand-penalised', 'panel']) {
    it(`${name}: every metric, DM statistic and p-value within 1e-9, every fact and key equal`, () => {
      const o = outcome(name);
      expect(o.job.exitCode, spark[0]?.stderr.slice(-2000)).toBe(0);
      const report = o.report!;
      const text = formatExperimentParity(report);
      expect(report.ok, text).toBe(true);
      expect(report.tolerance).toBe(EXPERIMENT_TOLERANCE);
      expect(report.facts).toEqual([]);
      expect(keyPaths(o.job.results)).toEqual(keyPaths(o.engine));
      // Every set's six metrics and two DM numbers, persistence's six: nothing skipped silently.
      const perSeries = 6 + (o.case.sets.length * 8);
      const series = 'assets' in o.engine! ? (o.engine as PanelResults).assets.length : 1;
      const panelNumbers = 'assets' in o.engine! ? o.case.sets.length * 3 : 0;
      expect(report.numbers).toHaveLength(series * perSeries + panelNumbers);
      expect(report.numbers.filter((d) => d.path.endsWith('dm.pValue')).every((d) => d.engine !== null)).toBe(true);
    });
  }

  it('the comparison is not vacuous: the sets differ from persistence and from each other', () => {
    const results = outcome('algorand').job.results as ExperimentResults;
    expect(results.sets.map((s) => s.name)).toEqual(['persistence', 'base', 'momentum', 'trend']);
    expect(results.testRows).toBeGreaterThan(200);
    const skills = results.sets.slice(1).map((s) => s.metrics.skill);
    expect(skills.every((s) => s !== 0)).toBe(true);
    expect(new Set(skills).size).toBe(skills.length);
  });

  it('ridge and lasso: the job records λ and α, and each penalty changes the forecasts', () => {
    const results = outcome('algorand-penalised').job.results as ExperimentResults;
    expect(results).toMatchObject({ target: 'return', refitEvery: 5, trainRatio: 0.6 });
    const [, base, ridge, lasso] = results.sets;
    expect(ridge).toMatchObject({ name: 'ridge', regParam: 0.1, elasticNet: 0 });
    expect(lasso).toMatchObject({ name: 'lasso', regParam: 0.002, elasticNet: 1 });
    expect(base.regParam).toBeUndefined();
    expect(new Set([base, ridge, lasso].map((s) => s.metrics.rmse)).size).toBe(3);
  });

  it('panel: four assets scored per asset, the short one skipped with the engine\'s reason, the panel test pooled by date', () => {
    const results = outcome('panel').job.results as PanelResults;
    const engine = outcome('panel').engine as PanelResults;
    expect(results.assets.map((a) => a.asset)).toEqual(PANEL_ASSET_NAMES.filter((n) => n !== 'tiny').sort());
    expect(results.skipped).toEqual(engine.skipped);
    expect(results.skipped.map((s) => s.asset)).toEqual(['tiny']);
    expect(results.skipped[0].reason).toMatch(/^too few rows: expected enough rows for a walk-forward/);
    for (const set of results.panel.sets) {
      expect(set.assets).toBe(4);
      // The union of the assets' test dates: more than any one asset's, fewer than all of them together.
      expect(set.dm.dates).toBeGreaterThan(Math.max(...results.assets.map((a) => a.testRows)));
      expect(set.dm.dates).toBeLessThan(results.assets.reduce((sum, a) => sum + a.testRows, 0));
    }
  });

  it('a set with an unknown function: both refuse it with the same line, the job with exit 2, writing nothing', () => {
    const o = outcome('bad-set');
    expect(o.job.exitCode).toBe(2);
    expect(o.report).toBeNull();
    expect(existsSync(join(o.job.output, 'results.json'))).toBe(false);
    const lines = spark[0].stderr.split('\n').filter((line) => line.includes('set "bad"'));
    expect(lines, spark[0].stderr.slice(-2000)).toHaveLength(1);
    expect(lines[0]).toMatch(/unknown function "rsii" \(did you mean "rsi"\?\)/);
    // The engine's refusal, word for word.
    expect(() => parseSetFlag('bad=price,rsii')).toThrow(lines[0].trim());
  });

  it('one case on its own: the argument file gives the job the same command line as the batch', async () => {
    const { python, env } = await ensurePythonEnv();
    const c = cases[2];
    const argsFile = join(work, 'panel.args');
    writeFileSync(argsFile, walkForwardArgumentFile(c));
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'pyspark'))})`,
      'import walk_forward',
      'a, b = (vars(walk_forward.parse_args(argv)) for argv in json.loads(sys.argv[1]))',
      'print(json.dumps([a == b, a["sets"], a["assets"]]))',
    ].join('\n');
    const argv = JSON.stringify([['--input', `@${argsFile}`, '--output', 'out'], walkForwardArgs(c, 'out')]);
    const run = spawnSync(python, ['-c', script, argv], { env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([true, c.sets, null]);
  });

  it('the job is a grouped map over (asset, set) on price_regression.py\'s own stages', () => {
    const source = readFileSync(WALK_FORWARD_JOB, 'utf8');
    expect(source).toMatch(/groupBy\(ASSET, SET\)\.applyInPandas/);
    for (const stage of ['read_input_rows', 'prepare_daily', 'compute_features', 'next_price', 'drop_nulls', '_sorted_deduped', '_fill_missing_frame', 'feature_values']) {
      expect(source).toMatch(new RegExp(`\\b${stage}\\b`));
      expect(source).not.toMatch(new RegExp(`def ${stage}\\(`));
    }
  });
});
