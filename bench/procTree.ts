/**
 * Whole-process-tree measurement on Linux: wall time, CPU time and peak memory of a command and
 * everything it starts (spark-submit starts a JVM, which starts Python).
 *
 * - CPU: `/usr/bin/time`'s user + sys, i.e. the kernel's rusage of the command and every descendant it
 *   waited for. Node has no API for a child's rusage, and sampling /proc loses what a process does
 *   after the last sample, so the kernel's figure is the one reported; the sampled figure is kept
 *   beside it as a cross-check (a descendant nobody waited for is missing from rusage).
 * - Peak memory: rusage's max RSS is that of the single largest process, not of the tree, so /proc is
 *   sampled every `intervalMs`: the sum of the RSS of the root and all its descendants (from each
 *   process's `stat`: ppid and rss). The peak is the largest sum seen, and never less than rusage's
 *   max RSS (a run shorter than a sampling interval).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Linux page size (bytes); /proc reports RSS in pages. */
export const PAGE_BYTES = 4096;
/** Linux clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** user + system CPU time, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

/** Parses one /proc/<pid>/stat line; null when it is not one. The command name may hold spaces and ')'. */
export function parseProcStat(line: string): ProcStat | null {
  const close = line.lastIndexOf(')');
  if (close === -1) return null;
  const pid = Number.parseInt(line, 10);
  // Fields after the name, numbered as in proc(5): 3 state, 4 ppid, 14 utime, 15 stime, 24 rss.
  const rest = line.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const stat = { pid, ppid: field(4), cpuTicks: field(14) + field(15), rssBytes: field(24) * PAGE_BYTES };
  return Number.isFinite(stat.pid) && Number.isFinite(stat.ppid) && Number.isFinite(stat.rssBytes) ? stat : null;
}

/** Every process's stat, now (processes that exit while being read are skipped). */
export function readProcessTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (stat !== null) table.set(stat.pid, stat);
    } catch {
      // gone
    }
  }
  return table;
}

/** `root` and all its descendants present in `table`. */
export function processTree(root: number, table: Map<number, ProcStat>): ProcStat[] {
  const children = new Map<number, number[]>();
  for (const stat of table.values()) {
    const list = children.get(stat.ppid);
    if (list === undefined) children.set(stat.ppid, [stat.pid]);
    else list.push(stat.pid);
  }
  const tree: ProcStat[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = table.get(pid);
    if (stat === undefined) continue;
    tree.push(stat);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Samples a process tree until stopped: the peak of the summed RSS and the CPU each process was last seen with. */
export class ProcessTreeSampler {
  peakRssBytes = 0;
  samples = 0;
  private readonly lastCpuTicks = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly root: number,
    private readonly intervalMs = 50,
    /** Processes not counted (the /usr/bin/time wrapper itself). */
    private readonly exclude: ReadonlySet<number> = new Set(),
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  sample(): void {
    let rss = 0;
    for (const stat of processTree(this.root, readProcessTable())) {
      if (this.exclude.has(stat.pid)) continue;
      rss += stat.rssBytes;
      this.lastCpuTicks.set(stat.pid, stat.cpuTicks);
    }
    this.samples++;
    if (rss > this.peakRssBytes) this.peakRssBytes = rss;
  }

  /** CPU of the sampled processes, in ms, as last seen. */
  get sampledCpuMs(): number {
    let ticks = 0;
    for (const t of this.lastCpuTicks.values()) ticks += t;
    return (ticks * 1000) / CLOCK_TICKS;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

export interface Measurement {
  exitCode: number;
  wallMs: number;
  /** user + sys of the whole tree (kernel rusage via /usr/bin/time). */
  cpuMs: number;
  /** The same, from /proc samples (a cross-check; misses the last interval of each process). */
  sampledCpuMs: number;
  /** Peak of the summed RSS of the tree. */
  peakRssBytes: number;
  /** The largest single process's max RSS (rusage). */
  maxSingleRssBytes: number;
  samples: number;
  stdout: string;
  stderr: string;
}

/** `/usr/bin/time -f` output: "wall user sys maxrssKB". */
export function parseTimeOutput(text: string): { userMs: number; sysMs: number; maxRssBytes: number } {
  const line = text.trim().split('\n').pop() ?? '';
  const [, user, sys, maxRssKb] = line.split(' ').map(Number);
  if (![user, sys, maxRssKb].every(Number.isFinite)) throw new Error(`unexpected /usr/bin/time output: ${JSON.stringify(text)}`);
  return { userMs: user * 1000, sysMs: sys * 1000, maxRssBytes: maxRssKb * 1024 };
}

/** Runs `command args` under /usr/bin/time while sampling its process tree. */
export async function measureCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; intervalMs?: number } = {},
): Promise<Measurement> {
  const work = await mkdtemp(join(tmpdir(), 'pricecast-time-'));
  const timeFile = join(work, 'time.txt');
  try {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, command, ...args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sampler = new ProcessTreeSampler(child.pid!, options.intervalMs ?? 50, new Set([child.pid!])).start();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal !== null ? 128 : 1)));
    });
    const wallMs = performance.now() - start;
    sampler.stop();
    const time = parseTimeOutput(await readFile(timeFile, 'utf8'));
    return {
      exitCode,
      wallMs,
      cpuMs: time.userMs + time.sysMs,
      sampledCpuMs: sampler.sampledCpuMs,
      peakRssBytes: Math.max(sampler.peakRssBytes, time.maxRssBytes),
      maxSingleRssBytes: time.maxRssBytes,
      samples: sampler.samples,
      stdout,
      stderr,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Waits (up to 5 minutes, saying so on stderr every 15 s) until the 1-minute load average is below
 * `maxLoad`, so that a measurement does not start while other work holds the cores; null: no wait.
 */
export async function waitForLoad(maxLoad: number | null): Promise<void> {
  if (maxLoad === null) return;
  const deadline = Date.now() + 5 * 60_000;
  while (loadavg()[0] >= maxLoad && Date.now() < deadline) {
    process.stderr.write(`  load ${loadavg()[0].toFixed(2)} ≥ ${maxLoad}: waiting\n`);
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
}
