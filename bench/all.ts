/**
 * `npm run bench:all`: every benchmark that compares the engine with another tool, in one invocation,
 * their Markdown gathered into bench/RESULTS.md between the markers
 * `<!-- bench:all begin -->` and `<!-- bench:all end -->` (put at the top of the file when absent; the
 * rest of the file is left as it is).
 *
 *   predict      bench/run.ts: the engine against pandas + ta and polars at 1M rows
 *   predict 10M  with --large, bench/panel.ts: predict on 10 assets × 1,000,000 days against the polars + numpy
 *                peer (one daily series cannot reach 10M rows before 9999-12-31, and several rows of one day
 *                are refused, docs/input.md#not-one-daily-series; so 10M rows is a panel of long series)
 *   experiment   bench/experimentPeers.ts: `experiment --refit-every 1` against the incremental numpy peer
 *   screening    bench/screening.ts: SPA/StepM/MCS against arch, and forward selection
 *   panel        bench/panel.ts, when it exists and its --help offers the flags used here (else a note)
 *
 *   npm run bench:all -- [--quick] [--large] [--runs N] [--max-load L]
 *
 * --quick: every benchmark with --runs 1 and its small inputs only. --runs: passed to each benchmark
 * (default: each one's own). A benchmark that fails is reported in the block (its exit code and the end of
 * its stderr) and the others still run. Each one's stderr (its progress) passes through; its stdout
 * (Markdown) goes into the block with the date, the commit, the machine and the 1-minute load average at
 * the start and end of each step. Each benchmark keeps its own JSON record under bench/runs/. HEAD is built
 * once (git archive, build.mjs) into .cache/bench-all-src and given as --cli to the steps that take one;
 * run.ts builds the working tree into .cache/bench-dist itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildEngine } from './experimentPeers.js';
import { BENCH_DIR, PROJECT_ROOT } from './generate.js';

const RESULTS_FILE = join(BENCH_DIR, 'RESULTS.md');
const BEGIN = '<!-- bench:all begin -->';
const END = '<!-- bench:all end -->';

const USAGE = `usage: npm run bench:all -- [--quick] [--large] [--runs N] [--max-load L] [--help]
  --quick     --runs 1 and the small inputs only (minutes, not hours)
  --large     also predict at 10M rows: 10 assets × 1,000,000 days against the polars + numpy peer
              (bench/panel.ts; one daily series cannot have 10M days, docs/input.md#not-one-daily-series)
  --runs      runs per tool, passed to every benchmark (default: each one's own)
  --max-load  passed to the benchmarks that wait for a quiet machine (run.ts, experimentPeers.ts, panel.ts)`;

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Options {
  quick: boolean;
  large: boolean;
  runs: string | null;
  maxLoad: string | null;
  /** HEAD's bundle (built once, into .cache/bench-all-src), for the steps that take --cli. */
  cli: string;
}

/** One benchmark of the set: its script and its arguments for these options (null: skipped, with the reason). */
interface Step {
  title: string;
  script: string;
  args(options: Options): string[] | { skip: string };
}

/** The 10M-row predict input: a panel of long series (see --large). */
const LARGE_PANEL = '10x1000000';
const runsFlag = (o: Options) => (o.quick ? ['--runs', '1'] : o.runs !== null ? ['--runs', o.runs] : []);
const loadFlag = (o: Options) => (o.maxLoad !== null ? ['--max-load', o.maxLoad] : []);

const STEPS: Step[] = [
  {
    title: 'Predict: engine, pandas + ta, polars (`bench/run.ts`)',
    script: 'run.ts',
    args: (o) => ['--peers', '--sizes', o.quick ? 'default,100k' : '1m', ...runsFlag(o), ...loadFlag(o)],
  },
  {
    title: 'Predict at 10M rows: 10 assets × 1,000,000 days, engine and the polars + numpy peer (`bench/panel.ts`)',
    script: 'panel.ts',
    args: (o) => (o.large ? ['--sizes', LARGE_PANEL, '--commands', 'predict', '--tools', 'engine,peer', ...runsFlag(o), ...loadFlag(o), '--cli', o.cli] : { skip: 'only with --large.' }),
  },
  {
    title: 'Experiment, refit every row: engine and the incremental numpy peer (`bench/experimentPeers.ts`)',
    script: 'experimentPeers.ts',
    args: (o) => [...(o.quick ? ['--sizes', 'real,20k'] : []), ...runsFlag(o), ...loadFlag(o), '--cli', o.cli],
  },
  {
    title: 'Screening and forward selection: engine and arch (`bench/screening.ts`)',
    script: 'screening.ts',
    args: (o) => runsFlag(o),
  },
  {
    title: 'Panels (`bench/panel.ts`)',
    script: 'panel.ts',
    args: (o) => {
      const needed = ['--sizes', '--runs', '--tools', '--max-load', '--cli'];
      if (!existsSync(join(BENCH_DIR, 'panel.ts'))) return { skip: 'bench/panel.ts does not exist yet.' };
      let help: string;
      try {
        help = execFileSync(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'panel.ts'), '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        return { skip: `bench/panel.ts --help failed: ${String((error as Error).message).split('\n')[0]}` };
      }
      const missing = needed.filter((flag) => !help.includes(flag));
      if (missing.length > 0) return { skip: `bench/panel.ts --help does not offer ${missing.join(', ')}.` };
      return [...(o.quick ? ['--sizes', '20x300', '--tools', 'engine,peer'] : []), ...runsFlag(o), ...loadFlag(o), '--cli', o.cli];
    },
  },
];

interface StepResult {
  title: string;
  command: string;
  exitCode: number | null;
  skipped: string | null;
  seconds: number;
  loadStart: number;
  loadEnd: number;
  markdown: string;
  stderrTail: string;
}

/** Runs `node --import tsx bench/<script> args`: stdout captured, stderr passed through (and its tail kept). */
async function runStep(step: Step, options: Options): Promise<StepResult> {
  const args = step.args(options);
  const loadStart = loadavg()[0];
  if (!Array.isArray(args)) {
    log(`${step.script}: skipped: ${args.skip}`);
    return { title: step.title, command: '', exitCode: null, skipped: args.skip, seconds: 0, loadStart, loadEnd: loadStart, markdown: '', stderrTail: '' };
  }
  const command = `npx tsx bench/${step.script} ${args.map((a) => (a.startsWith(PROJECT_ROOT) ? relative(PROJECT_ROOT, a) : a)).join(' ')}`.trim();
  log(`\n== ${command} (load ${loadStart.toFixed(2)})`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, step.script), ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
    process.stderr.write(chunk);
  });
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
  });
  return {
    title: step.title,
    command,
    exitCode,
    skipped: null,
    seconds: (performance.now() - started) / 1000,
    loadStart,
    loadEnd: loadavg()[0],
    markdown: stdout.trim(),
    stderrTail: stderr.trim().split('\n').slice(-12).join('\n'),
  };
}

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** The block between the markers: header, then each step's Markdown under its own heading. */
function block(results: StepResult[], header: { date: string; argv: string[]; loadStart: number; loadEnd: number; commit: string; dirty: number }): string {
  const lines = [
    BEGIN,
    '# Latest `npm run bench:all`',
    '',
    `Written by \`npm run bench:all${header.argv.length > 0 ? ` -- ${header.argv.join(' ')}` : ''}\` (bench/all.ts) on ${header.date.slice(0, 16).replace('T', ' ')} UTC ` +
      `at commit ${header.commit.slice(0, 7)}${header.dirty > 0 ? ` (the checkout had ${header.dirty} uncommitted paths, others' work in progress: bench/run.ts and screening.ts time the working tree, experimentPeers.ts and panel.ts HEAD's tree built into .cache/bench-all-src)` : ''}; ` +
      `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      `1-minute load average: ${header.loadStart.toFixed(2)} at the start, ${header.loadEnd.toFixed(2)} at the end ` +
      '(the machine is shared with other engineers\' work: read CPU times and ratios rather than wall times when the load is above the 2 cores).',
    '',
    'This block is rewritten by each run; the sections below it are kept by hand.',
  ];
  for (const r of results) {
    lines.push('', `## ${r.title}`, '');
    if (r.skipped !== null) {
      lines.push(`Skipped: ${r.skipped}`);
      continue;
    }
    lines.push(`\`${r.command}\`: ${r.seconds.toFixed(0)} s, load ${r.loadStart.toFixed(2)} → ${r.loadEnd.toFixed(2)}${r.exitCode === 0 ? '.' : `, **failed (exit ${r.exitCode})**; the end of its stderr:`}`);
    if (r.exitCode !== 0) lines.push('', '```', r.stderrTail, '```');
    if (r.markdown !== '') lines.push('', r.markdown);
  }
  lines.push('', END);
  return lines.join('\n');
}

/** Replaces the block in RESULTS.md (read just before writing: others append to the file), or puts it at the top. */
function writeBlock(text: string): void {
  const current = readFileSync(RESULTS_FILE, 'utf8');
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  let next: string;
  if (begin !== -1 && end > begin) next = current.slice(0, begin) + text + current.slice(end + END.length);
  else if (begin === -1 && end === -1) next = `${text}\n\n${current}`;
  else throw new Error(`${RESULTS_FILE}: only one of the bench:all markers is there; fix the file by hand`);
  writeFileSync(RESULTS_FILE, next);
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        large: { type: 'boolean', default: false },
        runs: { type: 'string' },
        'max-load': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    log(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help!) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.runs !== undefined && !(Number.isInteger(Number(values.runs)) && Number(values.runs) >= 1)) {
    log(`--runs: a positive integer, got ${values.runs}\n${USAGE}`);
    return 2;
  }
  if (values.quick! && values.large!) {
    log(`--quick and --large contradict each other\n${USAGE}`);
    return 2;
  }
  const date = new Date().toISOString();
  const loadStart = loadavg()[0];
  const engine = buildEngine(null, join(PROJECT_ROOT, '.cache', 'bench-all-src'));
  const commit = engine.commit!;
  const options: Options = { quick: values.quick!, large: values.large!, runs: values.runs ?? null, maxLoad: values['max-load'] ?? null, cli: engine.cli };
  const dirty = git('status', '--porcelain').split('\n').filter((l) => l.trim() !== '').length;
  const results: StepResult[] = [];
  for (const step of STEPS) results.push(await runStep(step, options));
  writeBlock(block(results, { date, argv, loadStart, loadEnd: loadavg()[0], commit, dirty }));
  log(`\nwrote the bench:all block of ${RESULTS_FILE}`);
  return results.every((r) => r.exitCode === 0 || r.skipped !== null) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
