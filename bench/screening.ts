/**
 * `tsx bench/screening.ts`: how long the screening (docs/screening.md) and forward selection take.
 *
 *   screening   50 candidates × 300 days of generated squared errors, 10,000 replications (the default):
 *               the engine's indices, SPA, StepM at 0.05 and 0.10, MCS R and max, each timed in this
 *               process (median of --runs after a warm-up), then arch 8.0.0 on the same losses with the same
 *               indices injected (bench/peers/arch_screening.py, one run), and the ratio arch / engine from
 *               this one invocation (both under the same machine load).
 *   selection   forward selection from `price` over the 39 close/volume indicators of the catalogue on the
 *               bundled fixtures/algorand.csv, refit every row, up to 10 features: runExperiment end to end.
 *
 *   tsx bench/screening.ts [--runs 5] [--skip-arch] [--skip-selection]
 *
 * Markdown to stdout; the figures also to bench/runs/screening-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseFeatureSpec } from '../src/engine/features/spec.js';
import { CLOSE_VOLUME_INDICATORS } from '../src/engine/features/indicators/catalogue.js';
import { runExperiment } from '../src/experiment/run.js';
import { stationaryBootstrapIndices } from '../src/experiment/screening/indices.js';
import { mcs } from '../src/experiment/screening/mcs.js';
import { spa } from '../src/experiment/screening/spa.js';
import { stepm } from '../src/experiment/screening/stepm.js';
import { ensurePythonEnv } from '../src/parity/pyenv.js';
import { BENCH_DIR, PROJECT_ROOT } from './generate.js';
import { median } from './stats.js';
import { execFileSync } from 'node:child_process';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'skip-arch': { type: 'boolean' }, 'skip-selection': { type: 'boolean' } },
});
const RUNS = Number(args.runs);
const DAYS = 300;
const CANDIDATES = 50;
const REPS = 10_000;
const BLOCK = Math.floor(Math.sqrt(DAYS));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Squared errors with a common shock (candidates correlate with the benchmark, as forecasts of one price do). */
function generatedLosses(): { benchmark: Float64Array; candidates: Float64Array[] } {
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const shock = Float64Array.from({ length: DAYS }, normal);
  const series = (scale: number) => Float64Array.from({ length: DAYS }, (_, t) => (scale * (0.7 * shock[t] + 0.7 * normal())) ** 2);
  return { benchmark: series(1), candidates: Array.from({ length: CANDIDATES }, (_, k) => series(0.95 + 0.002 * k)) };
}

/**
 * CPU seconds (user + system) of `f`: on a machine shared with other work the wall time depends on the load,
 * the CPU time much less; arch's side is timed the same way (time.process_time).
 */
function time<T>(f: () => T): [T, number] {
  const started = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(started);
  return [value, (used.user + used.system) / 1e6];
}

async function main(): Promise<void> {
  const { benchmark, candidates } = generatedLosses();
  const engine: Record<string, number[]> = { indices: [], spa: [], stepm: [], mcsR: [], mcsMax: [], total: [] };
  let consistent = NaN;
  for (let run = 0; run <= RUNS; run++) {
    const [indices, tIndices] = time(() => stationaryBootstrapIndices(DAYS, REPS, BLOCK, 42));
    const [computation, tSpa] = time(() => spa(benchmark, candidates, indices));
    const [, tStepm] = time(() => [0.05, 0.1].map((size) => stepm(computation, indices, size)));
    const models = [benchmark, ...candidates];
    const [, tR] = time(() => mcs(models, indices, 0.1, 'R'));
    const [, tMax] = time(() => mcs(models, indices, 0.1, 'max'));
    consistent = computation.result.pvalues.consistent;
    if (run === 0) continue; // warm-up
    engine.indices.push(tIndices);
    engine.spa.push(tSpa);
    engine.stepm.push(tStepm);
    engine.mcsR.push(tR);
    engine.mcsMax.push(tMax);
    engine.total.push(tIndices + tSpa + tStepm + tR + tMax);
  }
  const med = Object.fromEntries(Object.entries(engine).map(([k, v]) => [k, median(v)]));

  let arch: { seconds: Record<string, number>; pvalues: { consistent: number } } | null = null;
  if (!args['skip-arch']) {
    const env = await ensurePythonEnv();
    const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-screening-'));
    try {
      const indices = stationaryBootstrapIndices(DAYS, REPS, BLOCK, 42);
      const indicesFile = join(work, 'indices.i32');
      await writeFile(indicesFile, Buffer.from(indices.values.buffer));
      const job = join(work, 'job.json');
      await writeFile(job, JSON.stringify({
        benchmark: Array.from(benchmark),
        names: candidates.map((_, k) => `m${k}`),
        candidates: candidates.map((c) => Array.from(c)),
        indices: indicesFile,
        reps: REPS,
        blockSize: BLOCK,
      }));
      log('arch: running (one run; MCS R holds a 10,000 × 51 × 51 array)…');
      arch = JSON.parse(execFileSync(env.python, [join(PROJECT_ROOT, 'bench', 'peers', 'arch_screening.py'), job], { env: env.env, encoding: 'utf8' }));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  let selection: { seconds: number; steps: string[]; testRows: number } | null = null;
  if (!args['skip-selection']) {
    const pool = CLOSE_VOLUME_INDICATORS.map((i) => parseFeatureSpec(i.name)[0]);
    const [run, seconds] = await (async () => {
      const started = performance.now();
      const result = await runExperiment({
        input: join(PROJECT_ROOT, 'fixtures', 'algorand.csv'),
        trainRatio: 0.7,
        refitEvery: 1,
        target: 'price',
        threads: 1,
        selection: { start: parseFeatureSpec('price'), pool, maxFeatures: 10 },
      });
      return [result, (performance.now() - started) / 1000] as const; // wall: a whole run, with its I/O
    })();
    selection = { seconds, steps: run.results.selection!.map((s) => s.added), testRows: run.results.testRows };
  }

  const load = loadavg()[0];
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${load.toFixed(1)} at the end.`,
    '',
    `Screening, ${CANDIDATES} candidates × ${DAYS} days, ${REPS} replications, block ${BLOCK} (engine: median of ${RUNS} after a warm-up):`,
    '',
    '| step | engine (CPU s) | arch 8.0.0 (CPU s) | arch / engine |',
    '|---|---:|---:|---:|',
    ...(['indices', 'spa', 'stepm', 'mcsR', 'mcsMax', 'total'] as const).map((k) => {
      const a = arch === null ? undefined : k === 'total' ? Object.values(arch.seconds).reduce((s, x) => s + x, 0) : arch.seconds[k];
      const label = { indices: 'indices (XORShift)', spa: 'SPA', stepm: 'StepM 0.05 + 0.10', mcsR: 'MCS R', mcsMax: 'MCS max', total: 'total' }[k];
      return `| ${label} | ${med[k].toFixed(4)} | ${a === undefined ? '–' : a.toFixed(3)} | ${a === undefined ? '–' : (a / med[k]).toFixed(0) + '×'} |`;
    }),
    '',
    `SPA consistent p: engine ${consistent}${arch ? `, arch ${arch.pvalues.consistent}` : ''}.`,
  ];
  if (selection) {
    lines.push(
      '',
      `Forward selection over ${CLOSE_VOLUME_INDICATORS.length} indicators (start: price, up to 10 features, refit every row) on fixtures/algorand.csv, ` +
        `whole runExperiment (selection, walk-forward of every step, screening): ${selection.seconds.toFixed(2)} s; ` +
        `added ${selection.steps.join(', ') || 'nothing'}; ${selection.testRows} test rows.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(join(BENCH_DIR, 'runs'), { recursive: true });
  const file = join(BENCH_DIR, 'runs', `screening-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ engine, arch, selection, load }, null, 2)}\n`);
  log(`wrote ${file}`);
}

await main();
