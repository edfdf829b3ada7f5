/**
 * `npm run bench`: the TypeScript engine against the reference PySpark job, side by side, on the same
 * files (bench/generate.ts), each run as a whole process and measured as a process tree
 * (bench/proctree.ts): wall time, CPU time (user + sys), peak summed RSS.
 *
 *   engine:  node dist/cli.js predict --input F --output DIR
 *   PySpark: spark-submit --master local[2] … pyspark/price_regression.py --input F --output DIR
 *            (the project's env from src/parity/pyenv.ts, the flags of src/parity/spark.ts)
 *
 * Per size the two alternate (engine, PySpark, engine, …) so that both see the same machine load; the
 * 1-minute load average is recorded before every run. Then, for the stage sizes, the engine's
 * per-stage timings (runPipeline's `timings`, in a fresh process per run), and for the parity size
 * the last engine and PySpark outputs compared row by row (src/parity/compare.ts). Medians go to
 * stdout as Markdown tables; every run goes to a JSON record under bench/runs/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSparkOutput } from '../src/engine/output.js';
import { compareOutputs, type ParityReport } from '../src/parity/compare.js';
import { ensurePythonEnv, type PythonEnv } from '../src/parity/pyenv.js';
import { sparkSubmitArgs } from '../src/parity/spark.js';
import { BENCH_DIR, ensureBenchData, PROJECT_ROOT, sizeByName, type BenchSize } from './generate.js';
import { measureCommand, type Measurement } from './proctree.js';
import { compareMedians, median, parseBenchArgs, type BenchOptions, type Comparison } from './stats.js';

const CLI = join(PROJECT_ROOT, 'dist', 'cli.js');
const STAGES = ['ingest', 'sortAndDedupe', 'features', 'split', 'fit', 'predict', 'write'] as const;

interface RunRecord extends Omit<Measurement, 'stdout' | 'stderr'> {
  tool: 'engine' | 'pyspark';
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
  stages: Record<string, number> | null;
  stageRuns: Record<string, number>[];
  parity: ParityReport | null;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function waitForLoad(maxLoad: number | null): Promise<void> {
  if (maxLoad === null) return;
  const deadline = Date.now() + 5 * 60_000;
  while (loadavg()[0] >= maxLoad && Date.now() < deadline) {
    log(`  load ${loadavg()[0].toFixed(2)} ≥ ${maxLoad}: waiting`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
}

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
function stageTimings(input: string, output: string): Record<string, number> {
  const script = `import { runPipeline } from ${JSON.stringify(join(PROJECT_ROOT, 'src', 'engine', 'pipeline.ts'))};
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

async function benchSize(size: BenchSize, options: BenchOptions, work: string, pyenv: PythonEnv | null): Promise<SizeRecord> {
  const file = ensureBenchData(size, log);
  const runs: RunRecord[] = [];
  let lastEngineOut: string | null = null;
  let lastSparkOut: string | null = null;
  for (let run = 1; run <= options.runs; run++) {
    const tools: Array<'engine' | 'pyspark'> = pyenv === null ? ['engine'] : ['engine', 'pyspark'];
    for (const tool of tools) {
      await waitForLoad(options.maxLoad);
      const out = join(work, `${size.name}-${tool}-${run}`);
      const loadBefore = loadavg()[0];
      const m =
        tool === 'engine'
          ? await measureCommand(process.execPath, [CLI, 'predict', '--input', file, '--output', out])
          : await measureCommand(pyenv!.sparkSubmit, sparkSubmitArgs({ input: file, output: out }), { env: pyenv!.env });
      checkRun(tool, m);
      const { stdout: _stdout, stderr: _stderr, ...figures } = m;
      runs.push({ tool, run, loadBefore, ...figures });
      log(
        `  ${size.name} ${tool.padEnd(7)} run ${run}: wall ${(m.wallMs / 1000).toFixed(2)} s, cpu ${(m.cpuMs / 1000).toFixed(2)} s, ` +
          `peak ${(m.peakRssBytes / 2 ** 20).toFixed(0)} MiB (load ${loadBefore.toFixed(2)})`,
      );
      // Keep the last output of each tool for the parity check; remove the others as we go.
      const previous = tool === 'engine' ? lastEngineOut : lastSparkOut;
      if (previous !== null) await rm(previous, { recursive: true, force: true });
      if (tool === 'engine') lastEngineOut = out;
      else lastSparkOut = out;
    }
  }

  const stageRuns: Record<string, number>[] = [];
  if (options.stageSizes.includes(size.name)) {
    for (let run = 1; run <= options.runs; run++) {
      await waitForLoad(options.maxLoad);
      const out = join(work, `${size.name}-stages-${run}`);
      try {
        stageRuns.push(stageTimings(file, out));
      } catch (error) {
        log(`  ${size.name} stage timings failed (the runs above are kept): ${(error as Error).message}`);
      }
      await rm(out, { recursive: true, force: true });
    }
  }
  const stages =
    stageRuns.length === 0 ? null : Object.fromEntries(STAGES.map((s) => [s, median(stageRuns.map((r) => r[s]))]));

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
  for (const dir of [lastEngineOut, lastSparkOut]) if (dir !== null) await rm(dir, { recursive: true, force: true });

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
    stages,
    stageRuns,
    parity,
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

function markdownTables(records: SizeRecord[]): string {
  const lines = [
    '| size | rows | distinct days | engine wall s | engine CPU s | engine peak MiB | PySpark wall s | PySpark CPU s | PySpark peak MiB | speedup (PySpark/TS wall) | TS/PySpark wall | TS/PySpark CPU | TS/PySpark peak | engine rows/s | load during runs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of records) {
    const { engine, spark, speedup, ratio, engineRowsPerSecond } = r.comparison;
    const loads = r.runs.map((run) => run.loadBefore);
    lines.push(
      `| ${r.size} | ${r.dataRows.toLocaleString('en')} | ${r.distinctDays.toLocaleString('en')} | ${seconds(engine.wallMs)} | ${seconds(engine.cpuMs)} | ${mib(engine.peakRssBytes)} | ` +
        `${spark ? seconds(spark.wallMs) : '–'} | ${spark ? seconds(spark.cpuMs) : '–'} | ${spark ? mib(spark.peakRssBytes) : '–'} | ` +
        `${speedup === null ? '–' : `${speedup.toFixed(1)}×`} | ${ratio ? ratio.wallMs.toFixed(3) : '–'} | ${ratio ? ratio.cpuMs.toFixed(3) : '–'} | ` +
        `${ratio ? ratio.peakRssBytes.toFixed(2) : '–'} | ${Math.round(engineRowsPerSecond).toLocaleString('en')} | ` +
        `${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} |`,
    );
  }
  for (const r of records) {
    if (r.stages === null) continue;
    const total = STAGES.reduce((sum, s) => sum + r.stages![s], 0);
    lines.push('', `Engine stages at ${r.size} (median of ${r.stageRuns.length} in-process runs, ms):`, '', '| stage | ms | share |', '|---|---:|---:|');
    for (const s of STAGES) lines.push(`| ${s} | ${r.stages[s].toFixed(0)} | ${((100 * r.stages[s]) / total).toFixed(0)}% |`);
    lines.push(`| total | ${total.toFixed(0)} | 100% |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
    options.sizes.forEach(sizeByName);
    options.stageSizes.forEach(sizeByName);
  } catch (error) {
    log((error as Error).message);
    return 2;
  }
  if (!options.skipBuild) {
    // dist/ is the esbuild bundle `npm run build` makes (build.mjs; the typecheck is not needed to time it).
    log('building: node build.mjs');
    const build = spawnSync(process.execPath, ['build.mjs'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`node build.mjs failed:\n${build.stdout.trim()}\n${build.stderr.trim()}`);
  }
  const pyenv = options.skipSpark ? null : await ensurePythonEnv();
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
