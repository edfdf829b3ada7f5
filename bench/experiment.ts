/**
 * `tsx bench/experiment.ts`: how long `pricecast experiment` takes, as a whole process (the esbuild
 * bundle, `node dist/cli.js experiment …`), measured as a process tree (bench/procTree.ts: wall, CPU
 * of every thread, peak RSS), single-threaded and with two worker threads, alternating run by run;
 * then, in this process, where the time goes (runExperiment's stage timings, after one warm-up run).
 *
 *   real-40   fixtures/algorand.csv, 40 sets, refit every row (daily), target price   (target < 1 s)
 *   1m-10     bench/data/1m.csv (bench/generate.ts), 10 sets, refit every 20 rows      (target < 10 s)
 *
 * The sets: the original four features, price alone, and the four plus one ta indicator each (every
 * indicator of the catalogue but rsi, default arguments): 40 in all; 1m-10 takes the first 10.
 *
 *   tsx bench/experiment.ts [--scenarios real-40,1m-10] [--runs 3] [--max-load 1.0]
 *
 * Medians go to stdout as Markdown; every run to bench/runs/experiment-<time>.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLOSE_VOLUME_INDICATORS as INDICATORS } from '../src/engine/features/indicators/catalogue.js'; // the bench input has no high/low
import { runExperiment, type ExperimentStage } from '../src/experiment/run.js';
import { featureSet, type FeatureSet } from '../src/experiment/sets.js';
import { BENCH_DIR, ensureBenchData, PROJECT_ROOT, sizeByName } from './generate.js';
import { measureCommand, waitForLoad, type Measurement } from './procTree.js';
import { median } from './stats.js';

/** The bundle to run: dist/cli.js (npm run build), or PRICECAST_CLI. */
const CLI = process.env.PRICECAST_CLI ?? join(PROJECT_ROOT, 'dist', 'cli.js');
const BASE = 'price,volume,marketCap,rsi';

interface Scenario {
  name: string;
  input: () => string;
  sets: number;
  refitEvery: number;
  targetSeconds: number;
}

const SCENARIOS: Record<string, Scenario> = {
  'real-40': { name: 'real-40', input: () => join(PROJECT_ROOT, 'fixtures', 'algorand.csv'), sets: 40, refitEvery: 1, targetSeconds: 1 },
  '1m-10': { name: '1m-10', input: () => ensureBenchData(sizeByName('1m'), log), sets: 10, refitEvery: 20, targetSeconds: 10 },
};

const log = (line: string) => process.stderr.write(`${line}\n`);

export function benchSets(count: number): FeatureSet[] {
  const specs: [string, string][] = [
    ['base', BASE],
    ['price_only', 'price'],
    ...INDICATORS.filter((i) => i.name !== 'rsi').map((i): [string, string] => [`base+${i.name}`, `${BASE},${i.name}`]),
  ];
  return specs.slice(0, count).map(([name, spec]) => featureSet(name, spec, 'bench'));
}

interface RunRecord extends Omit<Measurement, 'stdout' | 'stderr'> {
  threads: number;
  run: number;
  loadBefore: number;
}

const EXPERIMENT_BENCH_USAGE = `usage: npx tsx bench/experiment.ts [--scenarios real-40,1m-10] [--runs 3] [--max-load 1.0] [--help]
  --scenarios  real-40 (the bundled real data, 40 sets, daily refits) and/or 1m-10 (1M rows, 10 sets, refit every 20)
  --runs       runs of each thread count (1 and 2, alternating) per scenario (default 3)
  --max-load   wait before each run until the 1-minute load average is below this
  --help       this text`;

/** A bad flag: its message and the usage, without a stack, exit 2. */
class UsageError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string', default: 'real-40,1m-10' },
      runs: { type: 'string', default: '3' },
      'max-load': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help!) {
    process.stdout.write(`${EXPERIMENT_BENCH_USAGE}\n`);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: a positive integer, got ${values.runs}\n${EXPERIMENT_BENCH_USAGE}`);
  const maxLoad = values['max-load'] === undefined ? null : Number(values['max-load']);
  if (maxLoad !== null && !(maxLoad > 0)) throw new UsageError(`--max-load: a positive number, got ${values['max-load']}\n${EXPERIMENT_BENCH_USAGE}`);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-experiment-'));
  const record: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    scenarios: {} as Record<string, unknown>,
  };
  const lines: string[] = [];
  try {
    for (const name of values.scenarios!.split(',')) {
      const scenario = SCENARIOS[name];
      if (scenario === undefined) throw new UsageError(`unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
      const input = scenario.input();
      const sets = benchSets(scenario.sets);
      const setsFile = join(work, `${name}-sets.json`);
      writeFileSync(setsFile, JSON.stringify(Object.fromEntries(sets.map((s) => [s.name, s.spec]))));
      const output = join(work, `${name}-out`);
      const args = (threads: number) => [CLI, 'experiment', '--input', input, '--sets', setsFile, '--refit-every', String(scenario.refitEvery), '--output', output, '--threads', String(threads)];
      const runRecords: RunRecord[] = [];
      for (let run = 0; run < runs; run++) {
        for (const threads of [1, 2]) {
          await waitForLoad(maxLoad);
          const loadBefore = loadavg()[0];
          const { stdout: _o, stderr, ...m } = await measureCommand(process.execPath, args(threads));
          if (m.exitCode !== 0) throw new Error(`experiment exited ${m.exitCode}: ${stderr}`);
          runRecords.push({ ...m, threads, run, loadBefore });
          log(`${name} threads ${threads} run ${run + 1}: wall ${(m.wallMs / 1000).toFixed(2)} s, CPU ${(m.cpuMs / 1000).toFixed(2)} s, load ${loadBefore.toFixed(2)}`);
        }
      }
      // In this process: one warm-up, then one measured run, single-threaded, for the stage split.
      const options = { input, sets, trainRatio: 0.7, refitEvery: scenario.refitEvery, target: 'price' as const, output, threads: 1 };
      await runExperiment(options);
      const staged = await runExperiment(options);
      const stages = staged.timings as Record<ExperimentStage, number>;
      (record.scenarios as Record<string, unknown>)[name] = { input, sets: sets.length, refitEvery: scenario.refitEvery, testRows: staged.results.testRows, rows: staged.results.rows, runs: runRecords, stages };
      for (const threads of [1, 2]) {
        const mine = runRecords.filter((r) => r.threads === threads);
        const wall = median(mine.map((r) => r.wallMs)) / 1000;
        lines.push(
          `| ${name} | ${staged.results.rows.toLocaleString('en')} | ${staged.results.testRows.toLocaleString('en')} | ${sets.length} | ${scenario.refitEvery} | ${threads} | ` +
            `${wall.toFixed(2)} | ${(median(mine.map((r) => r.cpuMs)) / 1000).toFixed(2)} | ${Math.round(median(mine.map((r) => r.peakRssBytes)) / 2 ** 20)} | ` +
            `${Math.min(...mine.map((r) => r.loadBefore)).toFixed(2)}–${Math.max(...mine.map((r) => r.loadBefore)).toFixed(2)} | < ${scenario.targetSeconds} s: ${wall < scenario.targetSeconds ? 'met' : 'not met'} |`,
        );
      }
      lines.push(`stages (${name}, in-process, 1 thread, ms): ${Object.entries(stages).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  mkdirSync(join(BENCH_DIR, 'runs'), { recursive: true });
  const file = join(BENCH_DIR, 'runs', `experiment-${(record.date as string).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(record, null, 1)}\n`);
  process.stdout.write(
    [
      '| scenario | rows | test rows | sets | K | threads | wall s (median) | CPU s | peak MiB | load | target |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
      ...lines.filter((l) => l.startsWith('|')),
      '',
      ...lines.filter((l) => !l.startsWith('|')),
      '',
      `record: ${file}`,
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
