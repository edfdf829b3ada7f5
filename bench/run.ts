/**
 * `npm run bench`: the TypeScript engine against the reference PySpark job and, with --peers, against the
 * same job written with pandas + numpy + ta and with polars (bench/peers/), side by side on the same files
 * (bench/generate.ts), each run as a whole process and measured as a process tree (bench/procTree.ts):
 * wall time, CPU time (user + sys), peak summed RSS.
 *
 *   engine:  node .cache/bench-dist/cli.js predict --input F --output DIR (build.mjs's bundle, built into a
 *            folder of the benchmark's own so that a concurrent `npm run build` cannot change it mid-run)
 *   pandas:  python bench/peers/pandas_peer.py --input F --output DIR     (the project's env)
 *   polars:  python bench/peers/polars_peer.py --input F --output DIR
 *   PySpark: spark-submit --master local[2] … pyspark/price_regression.py --input F --output DIR
 *            (the project's env from src/parity/pyenv.ts, the flags of src/parity/spark.ts)
 *   node:    node -e 0, on the default size only: the floor a Node CLI cannot go below
 *
 * Per size the tools alternate (engine, pandas, polars, PySpark, engine, …) so that all see the same
 * machine load; the 1-minute load average is recorded before every run. Then, for the stage sizes, the
 * engine's per-stage timings (runPipeline's `timings`, in a fresh process per run); the peers' last
 * outputs checked against the engine's (bench/peerCheck.ts); for the parity size the last engine and
 * PySpark outputs compared row by row (src/parity/compare.ts). Medians go to stdout as Markdown tables;
 * every run goes to a JSON record under bench/runs/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { readSparkOutput } from '../src/readback/sparkOutput.js';
import { compareOutputs, type ParityReport } from '../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../src/parity/pyenv.js';
import { sparkSubmitArgs } from '../src/parity/spark.js';
import { BENCH_DIR, ensureBenchData, PROJECT_ROOT, sizeByName, type BenchSize } from './generate.js';
import { measureCommand, waitForLoad, type Measurement } from './procTree.js';
import { comparePeerOutput, type PeerCheck } from './peerCheck.js';
import {
  compareMedians,
  median,
  medianFigures,
  BENCH_USAGE,
  parseBenchArgs,
  relativeToEngine,
  type BenchOptions,
  type Comparison,
  type RunFigures,
} from './stats.js';

/** The bundle the benchmark times (--skip-build: as it is); PRICECAST_OUTDIR tells build.mjs where to put it. */
const BUILD_DIR = join(PROJECT_ROOT, '.cache', 'bench-dist');
const CLI = join(BUILD_DIR, 'cli.js');
const PEERS_DIR = join(BENCH_DIR, 'peers');

type Tool = 'engine' | 'baseline' | 'pandas' | 'polars' | 'pyspark' | 'node';
const PEERS = ['pandas', 'polars'] as const;

interface RunRecord extends Omit<Measurement, 'stdout' | 'stderr'> {
  tool: Tool;
  run: number;
  loadBefore: number;
}

interface SizeRecord {
  size: string;
  file: string;
  dataRows: number;
  distinctDays: number;
  runs: RunRecord[];
  comparison: Comparison;
  /** Median figures per tool. */
  medians: Partial<Record<Tool, RunFigures>>;
  stages: Record<string, number> | null;
  stageRuns: Record<string, number>[];
  /** The same for the --baseline build's source tree (its cli.js two folders down), run alternately. */
  baselineStages: Record<string, number> | null;
  baselineStageRuns: Record<string, number>[];
  parity: ParityReport | null;
  /** Each peer's last output against the engine's last output. */
  peerChecks: Partial<Record<(typeof PEERS)[number], PeerCheck>>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function checkRun(tool: string, m: Measurement): void {
  if (m.exitCode !== 0) {
    throw new Error(`${tool} exited with ${m.exitCode}:\n${m.stderr.split('\n').slice(-15).join('\n')}`);
  }
}

/**
 * The engine's stage timings from one in-process runPipeline call, in a fresh Node process. dist/ is
 * one esbuild bundle that does not export runPipeline, so the source is run through tsx (compiled once
 * on load; the stages themselves run the same JIT-compiled code either way).
 */
function stageTimings(input: string, output: string, root = PROJECT_ROOT): Record<string, number> {
  const script = `import { runPipeline } from ${JSON.stringify(join(root, 'src', 'engine', 'pipeline.ts'))};
const result = await runPipeline({ input: ${JSON.stringify(input)}, output: ${JSON.stringify(output)} });
process.stdout.write(JSON.stringify(result.timings));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`stage timing run failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, number>;
}

function toolCommand(tool: Tool, file: string, out: string, pyenv: PythonEnv | null, baseline: string | null): [string, string[], NodeJS.ProcessEnv | undefined] {
  switch (tool) {
    case 'engine':
      return [process.execPath, [CLI, 'predict', '--input', file, '--output', out], undefined];
    case 'baseline':
      return [process.execPath, [baseline!, 'predict', '--input', file, '--output', out], undefined];
    case 'node':
      return [process.execPath, ['-e', '0'], undefined];
    case 'pyspark':
      return [pyenv!.sparkSubmit, sparkSubmitArgs({ input: file, output: out }), pyenv!.env];
    case 'pandas':
    case 'polars':
      return [pyenv!.python, [join(PEERS_DIR, `${tool}_peer.py`), '--input', file, '--output', out], pyenv!.env];
  }
}

async function benchSize(size: BenchSize, options: BenchOptions, work: string, pyenv: PythonEnv | null): Promise<SizeRecord> {
  const file = ensureBenchData(size, log);
  const runs: RunRecord[] = [];
  const tools: Tool[] = ['engine'];
  if (options.baseline !== null) tools.push('baseline');
  if (options.peers) tools.push(...PEERS);
  if (!options.skipSpark) tools.push('pyspark');
  if (size.name === 'default') tools.push('node');
  const lastOut = new Map<Tool, string>();
  for (let run = 1; run <= options.runs; run++) {
    for (const tool of tools) {
      await waitForLoad(options.maxLoad);
      const out = join(work, `${size.name}-${tool}-${run}`);
      const loadBefore = loadavg()[0];
      const [command, args, env] = toolCommand(tool, file, out, pyenv, options.baseline);
      const m = await measureCommand(command, args, { env });
      checkRun(tool, m);
      const { stdout: _stdout, stderr: _stderr, ...figures } = m;
      runs.push({ tool, run, loadBefore, ...figures });
      log(
        `  ${size.name} ${tool.padEnd(7)} run ${run}: wall ${(m.wallMs / 1000).toFixed(2)} s, cpu ${(m.cpuMs / 1000).toFixed(2)} s, ` +
          `peak ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB (load ${loadBefore.toFixed(2)})`,
      );
      // Keep the last output of each tool for the checks; remove the others as we go.
      const previous = lastOut.get(tool);
      if (previous !== undefined) await rm(previous, { recursive: true, force: true });
      lastOut.set(tool, out);
    }
  }
  const lastEngineOut = lastOut.get('engine') ?? null;
  const lastSparkOut = lastOut.get('pyspark') ?? null;

  const stageRuns: Record<string, number>[] = [];
  const baselineStageRuns: Record<string, number>[] = [];
  if (options.stageSizes.includes(size.name)) {
    const roots: Array<[string, Record<string, number>[]]> = [[PROJECT_ROOT, stageRuns]];
    if (options.baseline !== null) roots.push([dirname(dirname(resolve(options.baseline))), baselineStageRuns]);
    for (let run = 1; run <= options.runs; run++) {
      for (const [root, into] of roots) {
        await waitForLoad(options.maxLoad);
        const out = join(work, `${size.name}-stages-${run}`);
        try {
          into.push(stageTimings(file, out, root));
        } catch (error) {
          log(`  ${size.name} stage timings failed in ${root} (the runs above are kept): ${(error as Error).message}`);
        }
        await rm(out, { recursive: true, force: true });
      }
    }
  }
  // The stage names are whatever runPipeline reports (in its order), so a new stage shows up here by itself.
  const medianStages = (runs: Record<string, number>[]) =>
    runs.length === 0 ? null : Object.fromEntries(Object.keys(runs[0]).map((s) => [s, median(runs.map((r) => r[s] ?? 0))]));
  const stages = medianStages(stageRuns);
  const baselineStages = medianStages(baselineStageRuns);

  const peerChecks: SizeRecord['peerChecks'] = {};
  if (lastEngineOut !== null) {
    const engine = await readSparkOutput(lastEngineOut);
    for (const peer of PEERS) {
      const peerOut = lastOut.get(peer);
      if (peerOut === undefined) continue;
      const check = comparePeerOutput(engine.predictions, (await readSparkOutput(peerOut)).predictions);
      peerChecks[peer] = check;
      log(`  ${size.name} ${peer} rows vs engine: ${check.ok ? 'same' : 'DIFFERENT'} (${check.peerRows} / ${check.engineRows} test rows, ` +
        `${check.differentDates} dates differ, largest relative difference ${Math.max(...Object.values(check.maxRelative)).toExponential(1)})`);
    }
  }

  let parity: ParityReport | null = null;
  if (options.paritySize === size.name && lastEngineOut !== null && lastSparkOut !== null) {
    try {
      const engine = await readSparkOutput(lastEngineOut);
      const spark = await readSparkOutput(lastSparkOut);
      if (engine.report === null || spark.report === null) throw new Error('an output has no _model.json');
      parity = compareOutputs(
        { predictions: engine.predictions, report: engine.report },
        { predictions: spark.predictions, report: spark.report },
      );
    } catch (error) {
      log(`  ${size.name} parity check failed to run (the runs above are kept): ${(error as Error).message}`);
    }
    if (parity !== null) log(`  ${size.name} parity: ${parity.ok ? 'ok' : 'FAILED'} (${parity.engineTestRows} engine / ${parity.sparkTestRows} PySpark test rows)`);
  }
  for (const dir of lastOut.values()) await rm(dir, { recursive: true, force: true });
  const medians: SizeRecord['medians'] = {};
  for (const tool of tools) medians[tool] = medianFigures(runs.filter((r) => r.tool === tool));

  return {
    size: size.name,
    file,
    dataRows: size.dataRows,
    distinctDays: size.distinctDays,
    runs,
    comparison: compareMedians(
      runs.filter((r) => r.tool === 'engine'),
      runs.filter((r) => r.tool === 'pyspark'),
      size.dataRows,
    ),
    medians,
    stages,
    stageRuns,
    baselineStages,
    baselineStageRuns,
    parity,
    peerChecks,
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

function markdownTables(records: SizeRecord[]): string {
  const lines: string[] = [];
  const others: Tool[] = ['baseline', 'pandas', 'polars', 'pyspark', 'node'];
  const present = others.filter((t) => records.some((r) => r.medians[t] !== undefined));
  const header = ['size', 'rows', 'engine wall s', 'engine CPU s', 'engine peak MiB'];
  for (const t of present) header.push(`${t} wall s`, `${t} CPU s`, `${t} peak MiB`);
  for (const t of present) header.push(t === 'node' ? 'engine/node wall' : `${t}/engine wall`);
  for (const t of present) if (t !== 'node') header.push(`${t}/engine CPU`, `${t}/engine peak`);
  header.push('engine rows/s', 'load during runs');
  lines.push(`| ${header.join(' | ')} |`, `|---|${header.slice(1).map((h) => (h.startsWith('load') ? '---' : '---:')).join('|')}|`);
  for (const r of records) {
    const engine = r.medians.engine!;
    const cells = [r.size, r.dataRows.toLocaleString('en'), seconds(engine.wallMs), seconds(engine.cpuMs), mib(engine.peakRssBytes)];
    for (const t of present) {
      const m = r.medians[t];
      cells.push(m ? seconds(m.wallMs) : '–', m ? seconds(m.cpuMs) : '–', m ? mib(m.peakRssBytes) : '–');
    }
    for (const t of present) {
      const m = r.medians[t];
      if (m === undefined) cells.push('–');
      else if (t === 'node') cells.push(`${(engine.wallMs / m.wallMs).toFixed(2)}×`);
      else cells.push(`${relativeToEngine(engine, m).wallMs.toFixed(2)}×`);
    }
    for (const t of present) {
      if (t === 'node') continue;
      const m = r.medians[t];
      const rel = m ? relativeToEngine(engine, m) : null;
      cells.push(rel ? rel.cpuMs.toFixed(2) : '–', rel ? rel.peakRssBytes.toFixed(2) : '–');
    }
    const loads = r.runs.map((run) => run.loadBefore);
    cells.push(Math.round(r.comparison.engineRowsPerSecond).toLocaleString('en'), `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', 'Ratios are the other tool\'s median over the engine\'s (wall > 1: the engine is faster); engine/node is the engine over a bare `node -e 0`.');
  for (const r of records) {
    for (const [peer, check] of Object.entries(r.peerChecks)) {
      lines.push(`${r.size}: ${peer}'s test rows ${check.ok ? 'are the engine\'s' : 'DIFFER from the engine\'s'} (${check.peerRows} rows, ` +
        `largest relative difference ${Math.max(...Object.values(check.maxRelative)).toExponential(1)}).`);
    }
    if (r.parity !== null) lines.push(`${r.size}: parity with PySpark ${r.parity.ok ? 'ok' : 'FAILED'} (${r.parity.engineTestRows} test rows).`);
  }
  for (const r of records) {
    if (r.stages === null) continue;
    const names = Object.keys(r.stages);
    const total = names.reduce((sum, s) => sum + r.stages![s], 0);
    const before = r.baselineStages;
    if (before === null) {
      lines.push('', `Engine stages at ${r.size} (median of ${r.stageRuns.length} in-process runs, ms):`, '', '| stage | ms | share |', '|---|---:|---:|');
      for (const s of names) lines.push(`| ${s} | ${r.stages[s].toFixed(0)} | ${((100 * r.stages[s]) / total).toFixed(0)}% |`);
      lines.push(`| total | ${total.toFixed(0)} | 100% |`);
      continue;
    }
    const all = [...new Set([...Object.keys(before), ...names])];
    const beforeTotal = Object.values(before).reduce((sum, ms) => sum + ms, 0);
    lines.push('', `Engine stages at ${r.size}, baseline and engine alternating (median of ${r.stageRuns.length} in-process runs each, ms):`, '',
      '| stage | baseline ms | share | engine ms | share |', '|---|---:|---:|---:|---:|');
    const cell = (ms: number | undefined, sum: number) => (ms === undefined ? '– | –' : `${ms.toFixed(0)} | ${((100 * ms) / sum).toFixed(0)}%`);
    for (const s of all) lines.push(`| ${s} | ${cell(before[s], beforeTotal)} | ${cell(r.stages[s], total)} |`);
    lines.push(`| total | ${beforeTotal.toFixed(0)} | 100% | ${total.toFixed(0)} | 100% |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
    if (options.help) {
      process.stdout.write(`${BENCH_USAGE}\n`);
      return 0;
    }
    options.sizes.forEach(sizeByName);
    options.stageSizes.forEach(sizeByName);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  if (!options.skipBuild) {
    // The esbuild bundle `npm run build` makes (build.mjs; the typecheck is not needed to time it).
    log(`building: PRICECAST_OUTDIR=${BUILD_DIR} node build.mjs`);
    const build = spawnSync(process.execPath, ['build.mjs'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PRICECAST_OUTDIR: BUILD_DIR },
    });
    if (build.status !== 0) throw new Error(`node build.mjs failed:\n${build.stdout.trim()}\n${build.stderr.trim()}`);
  }
  const pyenv = options.skipSpark && !options.peers ? null : await ensurePythonEnv();
  const work = await mkdtemp(join(tmpdir(), 'pricecast-bench-'));
  const records: SizeRecord[] = [];
  const startedAt = new Date().toISOString();
  const machine = {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    java: spawnSync('java', ['-version'], { encoding: 'utf8', env: pyenv?.env ?? process.env }).stderr.split('\n')[0] ?? null,
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  };
  const out = options.out ?? join(BENCH_DIR, 'runs', `${startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  // Written after every size, so that a long run that fails late keeps what it measured.
  const writeRecord = (finished: boolean) =>
    writeFileSync(
      out,
      `${JSON.stringify({ startedAt, finishedAt: finished ? new Date().toISOString() : null, argv, options, machine, sizes: records }, null, 2)}\n`,
    );
  try {
    for (const name of options.sizes) {
      log(`size ${name}`);
      records.push(await benchSize(sizeByName(name), options, work, pyenv));
      writeRecord(false);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  writeRecord(true);
  process.stdout.write(markdownTables(records));
  log(`record: ${out}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
