/**
 * `tsx bench/experimentPeers.ts`: `pricecast experiment --refit-every 1` against a numpy peer that does
 * the algorithmic best for the job (bench/peers/experiment_incremental.py: ta's features, then Σ a aᵀ
 * and Σ a y as prefix sums over the rows, every refit one slice of a single batched np.linalg.solve).
 *
 *   engine:  node <bundle>/cli.js experiment --input F --sets SETS --refit-every 1 --output DIR
 *            --config NO_SCREEN --threads T   (the bundle: HEAD's tree from `git archive`, built with build.mjs
 *            into .cache/experiment-peers-src, so that others' uncommitted edits are not what is timed; or --cli)
 *   peer:    python bench/peers/experiment_incremental.py --input F --sets SETS   (the project's env)
 *
 * Inputs: real = fixtures/algorand.csv (960 rows), 20k and 200k = bench/generate.ts's sizes. Sets: the
 * first 2 and all 40 of bench/experiment.ts's (the original four features, price alone, the four plus one
 * ta indicator each). The engine's screening (SPA/StepM/MCS bootstraps) is switched off by a config file,
 * since the peer has none; the engine still writes forecasts.parquet and report.html, which the peer does not.
 *
 * Per input and set count the two alternate run by run (engine, peer, engine, …), each a whole process
 * measured as a process tree (bench/procTree.ts: wall, CPU of every thread, peak summed RSS), the 1-minute
 * load average recorded before each run; medians of --runs. The last outputs are compared: the same rows
 * and test rows, and per set rmse, mae (relative difference) and skill (absolute difference). Then, once,
 * at the largest input × the most sets, the peer times a few naive refits (np.linalg.lstsq on the whole
 * window, from scratch) per set and extrapolates to every test row: an estimate of the naive loop.
 *
 *   tsx bench/experimentPeers.ts [--sizes real,20k,200k] [--sets 2,40] [--runs 3] [--threads 1]
 *                                [--naive-sample 3] [--max-load L] [--cli PATH] [--out FILE]
 *
 * Markdown to stdout; every run to bench/runs/experiment-peers-<time>.json (or --out).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensurePythonEnv, type PythonEnv } from '../src/parity/pyenv.js';
import { CLOSE_VOLUME_INDICATORS } from '../src/engine/features/indicators/catalogue.js';
import { BENCH_DIR, ensureBenchData, PROJECT_ROOT, sizeByName } from './generate.js';
import { measureCommand, waitForLoad, type Measurement } from './procTree.js';
import { median, medianFigures, relativeToEngine, type RunFigures } from './stats.js';

const SRC_DIR = join(PROJECT_ROOT, '.cache', 'experiment-peers-src');
const PEER = join(BENCH_DIR, 'peers', 'experiment_incremental.py');
const REFIT_EVERY = 1;
const TRAIN_RATIO = 0.7;
/** Agreement asked of rmse and mae (relative) and of skill (absolute): see the peer's header and the table's notes. */
const TOLERANCE = 1e-6;
const METRICS = ['rmse', 'mae', 'skill'] as const;

const USAGE = `usage: npx tsx bench/experimentPeers.ts [--sizes real,20k,200k] [--sets 2,40] [--runs 3] [--threads 1]
                                    [--naive-sample 3] [--max-load L] [--cli PATH] [--out FILE] [--help]
  --sizes         real (fixtures/algorand.csv) and/or bench/generate.ts sizes (20k, 200k, 100k, 1m, …)
  --sets          set counts, each the first N of bench/experiment.ts's 40 sets
  --runs          runs of each tool per input and set count, alternating (default 3)
  --threads       the engine's --threads (default 1: one core each; the peer is single-threaded)
  --naive-sample  naive lstsq refits timed per set at the largest input × most sets, for the estimate (0: none)
  --max-load      before each run, wait (up to 5 min) for the 1-minute load average to fall below L
  --cli PATH      the engine bundle to time (default: HEAD built from git archive into .cache/experiment-peers-src)
  --out FILE      the JSON record (default bench/runs/experiment-peers-<time>.json)`;

class UsageError extends Error {}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * bench/experiment.ts's sets (that module runs its benchmark when imported, so they are listed again here):
 * the original four features, price alone, then the four plus one close/volume indicator each but rsi; the first `count`.
 */
function benchSets(count: number): { name: string; spec: string }[] {
  const base = 'price,volume,marketCap,rsi';
  return [
    { name: 'base', spec: base },
    { name: 'price_only', spec: 'price' },
    ...CLOSE_VOLUME_INDICATORS.filter((i) => i.name !== 'rsi').map((i) => ({ name: `base+${i.name}`, spec: `${base},${i.name}` })),
  ].slice(0, count);
}

interface Options {
  sizes: string[];
  sets: number[];
  runs: number;
  threads: number;
  naiveSample: number;
  maxLoad: number | null;
  cli: string | null;
  out: string | null;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: 'real,20k,200k' },
      sets: { type: 'string', default: '2,40' },
      runs: { type: 'string', default: '3' },
      threads: { type: 'string', default: '1' },
      'naive-sample': { type: 'string', default: '3' },
      'max-load': { type: 'string' },
      cli: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help!) return null;
  const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const positive = (flag: string, text: string, min = 1) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag}: an integer ≥ ${min}, got ${text}\n${USAGE}`);
    return n;
  };
  const sizes = list(values.sizes!);
  for (const size of sizes) if (size !== 'real') sizeByName(size);
  const sets = list(values.sets!).map((s) => positive('sets', s));
  if (sets.some((s) => s > 40)) throw new UsageError(`--sets: at most 40\n${USAGE}`);
  const maxLoad = values['max-load'] === undefined ? null : Number(values['max-load']);
  if (maxLoad !== null && !(maxLoad > 0)) throw new UsageError(`--max-load: a positive number, got ${values['max-load']}\n${USAGE}`);
  return {
    sizes,
    sets,
    runs: positive('runs', values.runs!),
    threads: positive('threads', values.threads!),
    naiveSample: positive('naive-sample', values['naive-sample']!, 0),
    maxLoad,
    cli: values.cli ?? null,
    out: values.out ?? null,
  };
}

interface EngineBuild {
  cli: string;
  commit: string | null;
}

/**
 * HEAD's committed tree, built with build.mjs in a folder of its own (`dir`), so that others' uncommitted
 * edits in the checkout are not what is timed; or the given bundle as it is. bench/all.ts builds once this way.
 */
export function buildEngine(cli: string | null, dir = SRC_DIR): EngineBuild {
  if (cli !== null) return { cli, commit: null };
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  log(`building ${commit.slice(0, 7)} into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${dir}"`], { cwd: PROJECT_ROOT });
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`node build.mjs failed in ${dir}:\n${build.stdout}\n${build.stderr}`);
  return { cli: join(dir, 'dist', 'cli.js'), commit };
}

type Tool = 'engine' | 'peer';
type Metrics = Record<(typeof METRICS)[number], number | null>;

interface PeerOutput {
  rows: number;
  trainRows: number;
  testRows: number;
  metrics: Record<string, Metrics>;
  singular: string[];
  seconds: Record<string, number>;
  cpuSeconds: Record<string, number>;
  naive?: { refitsTimedPerSet: number; estimatedSeconds: number; estimatedCpuSeconds: number; largestRelativeDifferenceFromBatched: number };
}

interface EngineResults {
  rows: number;
  trainRows: number;
  testRows: number;
  sets: { name: string; metrics: Metrics }[];
}

interface RunRecord extends Omit<Measurement, 'stdout' | 'stderr'> {
  tool: Tool;
  run: number;
  loadBefore: number;
  /** The peer's own split of its time (inside the process). */
  peerSeconds?: Record<string, number>;
  peerCpuSeconds?: Record<string, number>;
}

interface Agreement {
  sameRows: boolean;
  rows: [number, number];
  testRows: [number, number];
  /** Largest difference per metric over the sets both solved without a singular window. */
  largest: Record<(typeof METRICS)[number], { value: number; set: string }>;
  /** Sets with a window the peer's batched solve found singular (the engine then runs its L-BFGS fallback). */
  singular: { name: string; differences: Record<(typeof METRICS)[number], number> }[];
  ok: boolean;
}

interface CaseRecord {
  size: string;
  input: string;
  sets: number;
  runs: RunRecord[];
  medians: Record<Tool, RunFigures>;
  /** The peer's own CPU seconds per step (time.process_time inside its process), medians. */
  peerMedianCpuSeconds: Record<string, number>;
  rows: number;
  testRows: number;
  agreement: Agreement;
  naive: PeerOutput['naive'] | null;
  /** The peer's fit CPU seconds in the run that timed the naive refits. */
  naiveCpuSeconds: number | null;
}

/** Relative difference for rmse and mae, absolute for skill (a skill near 0 has no useful relative scale). */
function difference(metric: (typeof METRICS)[number], engine: number | null, peer: number | null): number {
  if (engine === null || peer === null) return engine === peer ? 0 : Infinity;
  if (metric === 'skill') return Math.abs(engine - peer);
  return Math.abs(engine - peer) / Math.max(Math.abs(engine), Number.MIN_VALUE);
}

function compare(engine: EngineResults, peer: PeerOutput): Agreement {
  const largest = Object.fromEntries(METRICS.map((m) => [m, { value: 0, set: '' }])) as Agreement['largest'];
  const singular: Agreement['singular'] = [];
  let missing = false;
  for (const set of engine.sets) {
    const theirs = peer.metrics[set.name];
    if (theirs === undefined) {
      missing = true;
      continue;
    }
    const differences = Object.fromEntries(METRICS.map((m) => [m, difference(m, set.metrics[m], theirs[m])])) as Record<(typeof METRICS)[number], number>;
    if (peer.singular.includes(set.name)) {
      singular.push({ name: set.name, differences });
      continue;
    }
    for (const m of METRICS) if (differences[m] > largest[m].value) largest[m] = { value: differences[m], set: set.name };
  }
  const sameRows = engine.rows === peer.rows && engine.trainRows === peer.trainRows && engine.testRows === peer.testRows;
  return {
    sameRows,
    rows: [engine.rows, peer.rows],
    testRows: [engine.testRows, peer.testRows],
    largest,
    singular,
    ok: sameRows && !missing && METRICS.every((m) => largest[m].value <= TOLERANCE),
  };
}

interface Context {
  engine: EngineBuild;
  pyenv: PythonEnv;
  configFile: string;
  threads: number;
}

function command(tool: Tool, input: string, setsFile: string, output: string, ctx: Context, naiveSample = 0): [string, string[], NodeJS.ProcessEnv | undefined] {
  if (tool === 'engine') {
    return [process.execPath, [ctx.engine.cli, 'experiment', '--input', input, '--sets', setsFile, '--refit-every', String(REFIT_EVERY),
      '--train-ratio', String(TRAIN_RATIO), '--output', output, '--config', ctx.configFile, '--threads', String(ctx.threads)], undefined];
  }
  const args = [PEER, '--input', input, '--sets', setsFile, '--train-ratio', String(TRAIN_RATIO)];
  if (naiveSample > 0) args.push('--naive-sample', String(naiveSample));
  return [ctx.pyenv.python, args, ctx.pyenv.env];
}

async function benchCase(size: string, setCount: number, naiveSample: number, options: Options, ctx: Context, work: string): Promise<CaseRecord> {
  const input = size === 'real' ? join(PROJECT_ROOT, 'fixtures', 'algorand.csv') : ensureBenchData(sizeByName(size), log);
  const sets = benchSets(setCount);
  const setsFile = join(work, `sets-${setCount}.json`);
  writeFileSync(setsFile, JSON.stringify(Object.fromEntries(sets.map((s) => [s.name, s.spec]))));
  const runs: RunRecord[] = [];
  let lastPeer: PeerOutput | null = null;
  const engineOut = join(work, `${size}-${setCount}-engine`);
  for (let run = 1; run <= options.runs; run++) {
    for (const tool of ['engine', 'peer'] as const) {
      await waitForLoad(options.maxLoad);
      if (tool === 'engine') await rm(engineOut, { recursive: true, force: true }); // the peer writes nothing
      const loadBefore = loadavg()[0];
      const [cmd, args, env] = command(tool, input, setsFile, engineOut, ctx);
      const { stdout, stderr, ...m } = await measureCommand(cmd, args, { env });
      if (m.exitCode !== 0) throw new Error(`${tool} exited with ${m.exitCode} on ${size} × ${setCount} sets:\n${stderr.split('\n').slice(-15).join('\n')}`);
      const record: RunRecord = { tool, run, loadBefore, ...m };
      if (tool === 'peer') {
        lastPeer = JSON.parse(stdout) as PeerOutput;
        record.peerSeconds = lastPeer.seconds;
        record.peerCpuSeconds = lastPeer.cpuSeconds;
      }
      runs.push(record);
      log(`  ${size} × ${setCount} sets ${tool.padEnd(6)} run ${run}: wall ${(m.wallMs / 1000).toFixed(2)} s, CPU ${(m.cpuMs / 1000).toFixed(2)} s, ` +
        `peak ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB (load ${loadBefore.toFixed(2)})` +
        (tool === 'peer' ? ` [inside: features ${lastPeer!.seconds.features.toFixed(2)} s, fit ${lastPeer!.seconds.fit.toFixed(2)} s]` : ''));
    }
  }
  const engineResults = JSON.parse(readFileSync(join(engineOut, 'results.json'), 'utf8')) as EngineResults;
  await rm(engineOut, { recursive: true, force: true });
  const agreement = compare(engineResults, lastPeer!);
  log(`  ${size} × ${setCount} sets: metrics ${agreement.ok ? 'agree' : 'DIFFER'} (largest: ${METRICS.map((m) => `${m} ${agreement.largest[m].value.toExponential(1)}`).join(', ')}` +
    `${agreement.singular.length > 0 ? `; singular: ${agreement.singular.map((s) => s.name).join(', ')}` : ''})`);

  let naive: PeerOutput['naive'] | null = null;
  let naiveCpuSeconds: number | null = null;
  if (naiveSample > 0) {
    await waitForLoad(options.maxLoad);
    log(`  ${size} × ${setCount} sets: timing ${naiveSample} naive lstsq refits per set (not a timed run)`);
    const [cmd, args, env] = command('peer', input, setsFile, engineOut, ctx, naiveSample);
    const result = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 24 });
    if (result.status !== 0) throw new Error(`the naive estimate failed:\n${result.stderr}`);
    const output = JSON.parse(result.stdout) as PeerOutput;
    naive = output.naive ?? null;
    naiveCpuSeconds = output.cpuSeconds.fit;
  }
  const peerRuns = runs.filter((r) => r.tool === 'peer');
  const steps = Object.keys(peerRuns[0].peerCpuSeconds ?? {});
  return {
    size,
    input: relative(PROJECT_ROOT, input),
    sets: setCount,
    runs,
    medians: { engine: medianFigures(runs.filter((r) => r.tool === 'engine')), peer: medianFigures(peerRuns) },
    peerMedianCpuSeconds: Object.fromEntries(steps.map((s) => [s, median(peerRuns.map((r) => r.peerCpuSeconds![s]))])),
    rows: engineResults.rows,
    testRows: engineResults.testRows,
    agreement,
    naive,
    naiveCpuSeconds,
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const cpuCell = (s: number | undefined) => (s === undefined ? '–' : s < 0.1 ? s.toFixed(3) : s.toFixed(2));
/** A duration of seconds in the unit that reads best. */
const duration = (s: number) => (s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`);
const SIZE_LABEL: Record<string, string> = { real: 'real (fixtures/algorand.csv)' };

function markdown(cases: CaseRecord[], header: { date: string; engine: EngineBuild; options: Options; record: string; loadAtStart: number; loadAtEnd: number }): string {
  const lines = [
    `${header.date.slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; ` +
      `engine ${header.engine.commit === null ? `\`${relative(PROJECT_ROOT, header.engine.cli)}\`` : `HEAD ${header.engine.commit.slice(0, 7)} (git archive, build.mjs)`}, ` +
      `\`--threads ${header.options.threads}\`, screening off; refit every ${REFIT_EVERY}, train ratio ${TRAIN_RATIO}, expanding window; ` +
      `medians of ${header.options.runs}, the two alternating; 1-minute load ${header.loadAtStart.toFixed(2)} at the start, ${header.loadAtEnd.toFixed(2)} at the end.`,
    '',
    '| input | rows | test rows | sets | engine wall s | engine CPU s | engine peak MiB | peer wall s | peer CPU s | peer peak MiB | peer/engine wall | peer/engine CPU | peer/engine peak | peer features CPU s | peer fit CPU s | load |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const c of cases) {
    const e = c.medians.engine;
    const p = c.medians.peer;
    const ratio = relativeToEngine(e, p);
    const loads = c.runs.map((r) => r.loadBefore);
    lines.push(`| ${SIZE_LABEL[c.size] ?? c.size} | ${c.rows.toLocaleString('en')} | ${c.testRows.toLocaleString('en')} | ${c.sets} | ` +
      `${seconds(e.wallMs)} | ${seconds(e.cpuMs)} | ${mib(e.peakRssBytes)} | ${seconds(p.wallMs)} | ${seconds(p.cpuMs)} | ${mib(p.peakRssBytes)} | ` +
      `${ratio.wallMs.toFixed(2)}× | ${ratio.cpuMs.toFixed(2)}× | ${ratio.peakRssBytes.toFixed(2)}× | ` +
      `${cpuCell(c.peerMedianCpuSeconds.features)} | ${cpuCell(c.peerMedianCpuSeconds.fit)} | ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} |`);
  }
  lines.push(
    '',
    'Ratios: the peer\'s median over the engine\'s (> 1: the engine is faster). Wall, CPU (user + sys of the process tree) and peak (summed RSS) ' +
      'are whole processes: the peer\'s include Python\'s start-up and the pandas/ta imports; the engine\'s include Node\'s start-up, ' +
      'forecasts.parquet and report.html, which the peer does not write. "peer features" and "peer fit" are the peer\'s own CPU times ' +
      'inside its process (time.process_time: ta\'s indicators; the prefix sums and the batched solve of every set).',
    '',
    `Agreement of the last runs' metrics (rmse and mae: relative difference; skill: absolute; asked: ≤ ${TOLERANCE.toExponential(0)}):`,
    '',
  );
  for (const c of cases) {
    const a = c.agreement;
    const largest = METRICS.map((m) => `${m} ${a.largest[m].value.toExponential(1)}${a.largest[m].set === '' ? '' : ` (${a.largest[m].set})`}`).join(', ');
    let line = `- ${c.size} × ${c.sets} sets: ${a.ok ? 'agree' : '**differ**'}; ${a.sameRows ? `the same ${a.rows[0].toLocaleString('en')} rows and ${a.testRows[0].toLocaleString('en')} test rows` : `rows ${a.rows.join(' vs ')}, test rows ${a.testRows.join(' vs ')}`}; largest ${largest}.`;
    if (a.singular.length > 0) {
      line += ` Left out of that: ${a.singular.map((s) => `${s.name} (rmse ${s.differences.rmse.toExponential(1)}, skill ${s.differences.skill.toExponential(1)})`).join(', ')}, ` +
        'whose features are exactly collinear (cumulative_return is affine in price): np.linalg.solve found a window singular and the peer took the ' +
        'minimum-norm solution (pseudo-inverse), the engine Spark\'s Cholesky on its uncentred sums or, where that fails, its L-BFGS fallback (docs/fit.md).';
    }
    lines.push(line);
  }
  for (const c of cases) {
    const n = c.naive;
    if (n === null || n === undefined) continue;
    lines.push(
      '',
      `**Estimate** (not a measurement) of a naive refit loop at ${c.size} × ${c.sets} sets: np.linalg.lstsq on the whole window, from scratch, before each of the ` +
        `${c.testRows.toLocaleString('en')} test rows of every set (as test/py/walkforward.py fits). ${n.refitsTimedPerSet} refits per set were timed, spread evenly over the test period, ` +
        `and their mean times the test rows, summed over the sets: **about ${duration(n.estimatedCpuSeconds)} of CPU** (${duration(n.estimatedSeconds)} wall at this load) ` +
        `for the fits alone, against ${(c.naiveCpuSeconds ?? NaN).toFixed(2)} s of CPU for the peer's prefix sums and batched solve in the same process ` +
        `(about ${Math.round(n.estimatedCpuSeconds / (c.naiveCpuSeconds ?? NaN)).toLocaleString('en')}×). The timed naive forecasts matched the batched ones within ${n.largestRelativeDifferenceFromBatched.toExponential(1)} relative.`,
    );
  }
  lines.push('', `Record: \`${header.record}\`.`);
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(argv);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const date = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const engine = buildEngine(options.cli);
  const pyenv = await ensurePythonEnv();
  const work = await mkdtemp(join(tmpdir(), 'pricecast-experiment-peers-'));
  const configFile = join(work, 'no-screen.json');
  writeFileSync(configFile, JSON.stringify({ experiment: { screen: false } }));
  const ctx: Context = { engine, pyenv, configFile, threads: options.threads };
  const out = options.out ?? join(BENCH_DIR, 'runs', `experiment-peers-${date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  const machine = { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  const cases: CaseRecord[] = [];
  const writeRecord = (finished: boolean) =>
    writeFileSync(out, `${JSON.stringify({ date, finishedAt: finished ? new Date().toISOString() : null, argv, options, machine, engine, loadAtStart, cases }, null, 1)}\n`);
  try {
    const lastSize = options.sizes[options.sizes.length - 1];
    const mostSets = Math.max(...options.sets);
    for (const size of options.sizes) {
      for (const setCount of options.sets) {
        const naive = size === lastSize && setCount === mostSets ? options.naiveSample : 0;
        cases.push(await benchCase(size, setCount, naive, options, ctx, work));
        writeRecord(false);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  writeRecord(true);
  process.stdout.write(markdown(cases, { date, engine, options, record: relative(PROJECT_ROOT, out), loadAtStart, loadAtEnd: loadavg()[0] }));
  return 0; // a disagreement is reported in the Markdown (and the record), not as a failure of the run
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      log(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
