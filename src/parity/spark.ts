/**
 * Runs the reference job, `pyspark/price_regression.py`, with the project's spark-submit in local mode:
 * quiet logging (pyspark/log4j2.properties: errors only), no Spark UI, everything bound to 127.0.0.1.
 * The job's stdout is its short summary; on bad input its stderr is the one error line and it exits 2.
 *
 * Stopping it: spark-submit is a tree of processes (the launcher, the JVM, the Python driver, and
 * PySpark's worker daemon, which moves itself into its own process group with `setpgid`), so killing
 * the child, or its process group, is not enough. On abort (`signal`, e.g. parity's SIGINT/SIGTERM
 * handler) `runSparkJob` snapshots the whole tree from the process table, sends SIGTERM to every
 * process in it, and after a grace period SIGKILL to any that are left, then rejects with
 * `Interrupted`. With `scratchDir`, Spark's and Python's temporary files go there (spark.local.dir,
 * java.io.tmpdir, TMPDIR), so that removing that folder removes them too.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { IngestOptions } from '../engine/ingest/input.js';
import type { SplitMode } from '../engine/types.js';
import { ensurePythonEnv, PROJECT_ROOT } from './pyenv.js';

export const SPARK_JOB = join(PROJECT_ROOT, 'pyspark', 'price_regression.py');
export const SPARK_LOG_CONFIG = join(PROJECT_ROOT, 'pyspark', 'log4j2.properties');

export interface SparkJobOptions extends Omit<IngestOptions, 'required'> {
  input: string;
  output: string;
  /** Default: the job's own (42). */
  seed?: number;
  /** Default: the job's own (random). */
  split?: SplitMode;
  /** Default: the job's own (0.7). */
  trainRatio?: number;
  /** Feature spec (docs/features.md#feature-specs); default: the job's own (price,volume,marketCap,rsi). */
  features?: string;
  /** λ and α of the fit (docs/regularisation.md); default: the job's own (0, 0). */
  regParam?: number;
  elasticNet?: number;
  /** `--assets`: on a file with an asset column, only these assets (docs/parity.md#panels). */
  assets?: readonly string[];
  /**
   * The Python file to submit instead of the reference job, with the same flags: a test driver that
   * runs the job several times in one JVM (test/py/job_batch.py), so that Spark starts once.
   */
  script?: string;
  /** Spark master; default local[2] (the machine's two cores). */
  master?: string;
  /** spark-submit --driver-memory; default 2g (in local mode the driver does all the work). */
  driverMemory?: string;
  /** Where Spark, the JVM and Python put temporary files (default: the system's temporary folder). */
  scratchDir?: string;
  /** Aborting stops spark-submit and every process it started; the job then rejects with Interrupted. */
  signal?: AbortSignal;
}

/** The job was stopped by an abort (parity got SIGINT/SIGTERM); its processes are gone. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  readonly kind = 'interrupted' as const;
  /** The shell's code for death by this signal: 128 + its number (SIGINT 130, SIGTERM 143). */
  readonly exitCode: number;
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}: spark-submit and every process it started were stopped, temporary files removed`);
    this.exitCode = 128 + (osConstants.signals[signalName as NodeJS.Signals] ?? 0);
  }
}

/**
 * SIGINT / SIGTERM / SIGHUP → an AbortSignal whose reason is the signal's name, for the duration of a
 * parity run; `dispose` removes the handlers (Node's default, exit at once, applies again).
 */
export function catchSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const names = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      process.stderr.write(`\n${name}: stopping spark-submit and its processes, removing temporary files…\n`);
      controller.abort(name);
    }
  };
  for (const name of names) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const name of names) process.off(name, onSignal);
    },
  };
}

/** Grace period between SIGTERM and SIGKILL when stopping the job's processes. */
const KILL_GRACE_MS = 5000;

/** Parent of every process, from /proc (Linux) or `ps` (macOS and others). */
function processParents(): Map<number, number> {
  const parents = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid …; comm may hold spaces and parentheses, so parse after the last ')'.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(Number(entry), ppid);
      } catch {
        // the process ended meanwhile
      }
    }
    if (parents.size > 0) return parents;
  } catch {
    // no /proc
  }
  const table = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  for (const line of table.trim().split('\n')) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    parents.set(pid, ppid);
  }
  return parents;
}

/** `root` and all its descendants, parents before children. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of processParents()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops `root` and every descendant: SIGTERM to the whole tree (the JVM runs its shutdown hooks),
 * then, once `root` has exited or the grace period is over, SIGKILL to whatever of the tree is left
 * (descendants orphaned by their parent's exit are still in the first snapshot).
 */
async function stopProcessTree(root: number, exited: Promise<unknown>): Promise<void> {
  const first = processTree(root);
  signalAll(first, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, KILL_GRACE_MS)))]);
  clearTimeout(timer);
  const alive = new Set(first);
  for (const pid of processTree(root)) alive.add(pid);
  signalAll(alive, 'SIGKILL');
}

export interface SparkJobResult {
  /** The job's exit code: 0 done, 2 bad input or arguments (one line on stderr), else a failure. */
  exitCode: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** spark-submit's arguments for the job (also used by the benchmarks, which time the process themselves). */
export function sparkSubmitArgs(options: SparkJobOptions): string[] {
  const args = [
    '--master', options.master ?? 'local[2]',
    '--driver-memory', options.driverMemory ?? '2g',
    '--driver-java-options',
    `-Dlog4j2.configurationFile=file:${SPARK_LOG_CONFIG}${options.scratchDir ? ` -Djava.io.tmpdir=${options.scratchDir}` : ''}`,
    ...(options.scratchDir ? ['--conf', `spark.local.dir=${options.scratchDir}`] : []),
    '--conf', 'spark.ui.enabled=false',
    '--conf', 'spark.ui.showConsoleProgress=false',
    '--conf', 'spark.driver.host=127.0.0.1',
    '--conf', 'spark.driver.bindAddress=127.0.0.1',
    // Speed only: 2 shuffle partitions for 2 cores instead of 200 tiny tasks (about 2x faster on the
    // 960-row file). Results do not depend on it: the split runs on the single partition that the
    // job's unpartitioned window produces (docs/split.md).
    '--conf', 'spark.sql.shuffle.partitions=2',
    options.script ?? SPARK_JOB,
    '--input', options.input,
    '--output', options.output,
  ];
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (options.split !== undefined) args.push('--split', options.split);
  if (options.trainRatio !== undefined) args.push('--train-ratio', String(options.trainRatio));
  if (options.features !== undefined) args.push('--features', options.features);
  if (options.regParam !== undefined) args.push('--reg-param', String(options.regParam));
  if (options.elasticNet !== undefined) args.push('--elastic-net', String(options.elasticNet));
  if (options.assets !== undefined && options.assets.length > 0) args.push('--assets', options.assets.join(','));
  // How the input is read (src/engine/ingest/input.ts): the job takes the same flags.
  if (options.format !== undefined && options.format !== 'auto') args.push('--format', options.format);
  if (typeof options.columns === 'string') args.push('--columns', options.columns);
  else if (options.columns != null) args.push('--columns', Object.entries(options.columns).map(([k, v]) => `${k}=${v}`).join(','));
  if (options.thousands != null) args.push('--thousands', options.thousands);
  if (options.missing !== undefined) args.push('--missing', options.missing);
  if (options.ohlcCheck === 'off') args.push('--ohlc-check', 'off');
  return args;
}

export async function runSparkJob(options: SparkJobOptions): Promise<SparkJobResult> {
  const pyenv = await ensurePythonEnv();
  const args = sparkSubmitArgs(options);
  const { signal } = options;
  if (signal?.aborted) throw new Interrupted(String(signal.reason));
  if (options.scratchDir) await mkdir(options.scratchDir, { recursive: true }); // java.io.tmpdir must exist
  const env = options.scratchDir ? { ...pyenv.env, TMPDIR: options.scratchDir } : pyenv.env;

  const start = performance.now();
  const child = spawn(pyenv.sparkSubmit, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, exitSignal) => resolve({ code, signal: exitSignal }));
  });
  let stopping: Promise<void> | null = null;
  const onAbort = () => {
    if (child.pid !== undefined) stopping = stopProcessTree(child.pid, exited);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { code, signal: exitSignal } = await exited;
    if (stopping !== null) {
      await stopping;
      throw new Interrupted(String(signal!.reason));
    }
    return { exitCode: code ?? (exitSignal !== null ? 128 : 1), stdout, stderr, wallMs: performance.now() - start };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
