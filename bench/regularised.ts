/**
 * `tsx bench/regularised.ts`: what a penalty costs (docs/regularisation.md).
 *
 *   fit         the training rows `predict` fits on the bundled fixtures/algorand.csv (seed 42, ratio 0.7),
 *               with the default 4 features and with the 42 of the built-in ladder's widest rung: the
 *               unpenalised fit, ridge (λ 0.3), elastic net (λ 0.01, α 0.5) and lasso (λ 0.01, α 1), the
 *               whole fit (row pass + solve) and the solve alone (from the sums), each the median CPU time
 *               of --runs batches; ratios against the unpenalised fit of the same width.
 *   experiment  runExperiment on the same file, the widest rung, refit every row (267 refits), one
 *               thread, no screening: one candidate at a time (unpenalised, ridge, lasso), then a grid of
 *               --reg-param 0,0.001,0.01,0.1,1 × --elastic-net 0,1 (9 candidates); walk-forward CPU time
 *               per candidate.
 *
 *   tsx bench/regularised.ts [--runs 5]
 *
 * Markdown to stdout; the figures also to bench/runs/regularised-<time>.json. CPU time (user + system
 * of this process), not wall time: the machine is shared, and the CPU time depends on the load much less.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assembleFeatures } from '../src/engine/features/assemble.js';
import { featureColumns, parseFeatureSpec } from '../src/engine/features/spec.js';
import { runPipeline } from '../src/engine/pipeline.js';
import { fitWeightedLeastSquares, type Regularisation } from '../src/engine/model/wls.js';
import { ExpandingFit } from '../src/experiment/expandingFit.js';
import { builtInLadder } from '../src/experiment/ladder.js';
import { runExperiment } from '../src/experiment/run.js';
import { featureSet } from '../src/experiment/sets.js';
import { BENCH_DIR, PROJECT_ROOT } from './generate.js';
import { median } from './stats.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);
const INPUT = join(PROJECT_ROOT, 'fixtures', 'algorand.csv');
const log = (line: string) => process.stderr.write(`${line}\n`);

const PENALTIES: Record<string, Regularisation> = {
  unpenalised: { regParam: 0, elasticNetParam: 0 },
  ridge: { regParam: 0.3, elasticNetParam: 0 },
  'elastic net': { regParam: 0.01, elasticNetParam: 0.5 },
  lasso: { regParam: 0.01, elasticNetParam: 1 },
};

/** CPU milliseconds (user + system) of `f`. */
function cpuMs(f: () => void): number {
  const started = process.cpuUsage();
  f();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

/** Median over RUNS batches of the CPU time per call, each batch repeating `f` until it has taken ≥ 50 ms. */
function perCall(f: () => void): number {
  f(); // warm-up
  let repeat = 1;
  while (cpuMs(() => { for (let i = 0; i < repeat; i++) f(); }) < 50) repeat *= 2;
  return median(Array.from({ length: RUNS }, () => cpuMs(() => { for (let i = 0; i < repeat; i++) f(); }) / repeat));
}

const widest = builtInLadder().at(-1)!;
const record: Record<string, unknown> = { date: new Date().toISOString(), runs: RUNS, cpus: cpus().length, loadBefore: loadavg()[0] };
const lines: string[] = [];

// ---- fit ------------------------------------------------------------------------------------------------
lines.push('| features | penalty | solver | fit ms | × unpenalised | solve ms | × unpenalised | OWL-QN states |', '|---|---|---|---:|---:|---:|---:|---:|');
const fits: unknown[] = [];
for (const spec of ['price,volume,marketCap,rsi', widest.spec]) {
  const { train } = await runPipeline({ input: INPUT, features: spec });
  const columns = featureColumns(parseFeatureSpec(spec));
  const features = assembleFeatures(train, columns);
  let base: { fit: number; solve: number } | null = null;
  for (const [name, regularisation] of Object.entries(PENALTIES)) {
    const solution = fitWeightedLeastSquares(features, train.nextPrice, columns, regularisation);
    const fit = perCall(() => fitWeightedLeastSquares(features, train.nextPrice, columns, regularisation));
    // The solve alone: the same sums every time (ExpandingFit.solve does not change them).
    const sums = new ExpandingFit(features, train.nextPrice, columns, regularisation);
    sums.extendTo(train.nextPrice.length);
    const solve = perCall(() => sums.solve());
    base ??= { fit, solve };
    const states = solution.solver === 'owlqn' ? solution.objectiveHistory!.length : '';
    lines.push(`| ${columns.length} | ${name}${regularisation.regParam ? ` (λ ${regularisation.regParam}, α ${regularisation.elasticNetParam})` : ''} | ${solution.solver} | ${fit.toFixed(3)} | ${(fit / base.fit).toFixed(2)} | ${solve.toFixed(3)} | ${(solve / base.solve).toFixed(2)} | ${states} |`);
    fits.push({ features: columns.length, penalty: name, regularisation, solver: solution.solver, fitMs: fit, solveMs: solve, states });
    log(`fit ${columns.length} ${name}: ${fit.toFixed(3)} ms, solve ${solve.toFixed(3)} ms`);
  }
}
record.fits = fits;

// ---- experiment ----------------------------------------------------------------------------------------
lines.push('', '| candidates | walk-forward CPU s | per candidate s | × unpenalised |', '|---|---:|---:|---:|');
const experiments: unknown[] = [];
const walkForwardCpu = async (sets: ReturnType<typeof featureSet>[], grid?: { regParams: number[]; elasticNets: number[] }) => {
  const samples: number[] = [];
  for (let run = 0; run < Math.max(1, Math.min(RUNS, 3)); run++) {
    const started = process.cpuUsage();
    const { timings } = await runExperiment({ input: INPUT, sets, trainRatio: 0.7, refitEvery: 1, target: 'price', threads: 1, screen: false, ...grid });
    const used = process.cpuUsage(started);
    // Walk-forward share of this run's CPU time, by its share of the wall time (one thread, so they track).
    const wall = Object.values(timings).reduce((s, v) => s + v, 0);
    samples.push(((used.user + used.system) / 1e6) * (timings.walkForward / wall));
  }
  return median(samples);
};
let unpenalisedPer = 0;
for (const [name, regularisation] of [['unpenalised', PENALTIES.unpenalised], ['ridge', PENALTIES.ridge], ['lasso', PENALTIES.lasso]] as const) {
  const set = featureSet('widest', widest.spec, 'bench', regularisation.regParam ? { regParam: regularisation.regParam, elasticNet: regularisation.elasticNetParam } : {});
  const seconds = await walkForwardCpu([set]);
  if (name === 'unpenalised') unpenalisedPer = seconds;
  lines.push(`| 1: widest rung, ${name} | ${seconds.toFixed(3)} | ${seconds.toFixed(3)} | ${(seconds / unpenalisedPer).toFixed(2)} |`);
  experiments.push({ candidates: 1, penalty: name, walkForwardCpuS: seconds });
  log(`experiment ${name}: ${seconds.toFixed(3)} s`);
}
{
  const grid = { regParams: [0, 0.001, 0.01, 0.1, 1], elasticNets: [0, 1] };
  const seconds = await walkForwardCpu([featureSet('widest', widest.spec, 'bench')], grid);
  const count = 1 + (grid.regParams.length - 1) * grid.elasticNets.length;
  lines.push(`| ${count}: grid --reg-param ${grid.regParams.join(',')} --elastic-net ${grid.elasticNets.join(',')} | ${seconds.toFixed(3)} | ${(seconds / count).toFixed(3)} | ${(seconds / count / unpenalisedPer).toFixed(2)} |`);
  experiments.push({ candidates: count, grid, walkForwardCpuS: seconds });
}
record.experiments = experiments;
record.loadAfter = loadavg()[0];

const runs = join(BENCH_DIR, 'runs');
mkdirSync(runs, { recursive: true });
const file = join(runs, `regularised-${record.date as string}.json`.replace(/:/g, '-'));
writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\n\nload ${(record.loadBefore as number).toFixed(2)} → ${(record.loadAfter as number).toFixed(2)}; record ${file.slice(PROJECT_ROOT.length + 1)}\n`);
