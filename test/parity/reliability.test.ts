/**
 * `pricecast parity` stopped with SIGTERM or SIGINT while spark-submit runs must stop
 * spark-submit's whole process tree (launcher, JVM, Python driver) and remove its temporary folders,
 * then exit 128 + the signal's number. Runs the real CLI and the real spark-submit; the process tree
 * is read from /proc (Linux).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonEnv } from '../../src/parity/pyenv.js';
import { processTree } from '../../src/parity/spark.js';
import { startCli } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('reliability-parity');
beforeAll(async () => {
  await ensurePythonEnv();
});
/** The program's base name (argv[0]). */
function program(pid: number): string {
  return commandLine(pid).split(' ')[0].split('/').pop() ?? '';
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Alive = in the process table and not a zombie (a container's init may not reap orphans). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(!existsSync('/proc/self/stat'))('parity interrupted', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while spark-submit runs: every process of the tree gone, no temporary folder left, exit %i', async (signal, exitCode) => {
    const scratchTmp = join(scratch.dir, signal);
    await mkdir(scratchTmp);
    const run = startCli(['parity'], { env: { TMPDIR: scratchTmp } });
    const { child, closed: exited } = run;
    const stderrNow = () => run.output().stderr;

    // Wait until the JVM and the Python driver both run the job.
    let tree: number[] = [];
    for (;;) {
      tree = processTree(child.pid!);
      const running = tree.filter((pid) => commandLine(pid).includes('price_regression.py'));
      if (running.some((pid) => program(pid) === 'java') && running.some((pid) => program(pid).startsWith('python'))) break;
      if (child.exitCode !== null) throw new Error(`parity ended before Spark started: ${stderrNow()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    tree = processTree(child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    // tsx keeps its compile cache there (tsx-<uid>); everything else is parity's and Spark's.
    const ours = async () => (await readdir(scratchTmp)).filter((name) => !name.startsWith('tsx-'));
    expect(await ours()).not.toEqual([]); // parity's temporary folders exist now

    child.kill(signal);
    const result = await exited;
    const stderr = stderrNow();
    expect(result.code, stderr).toBe(exitCode);
    expect(stderr).toMatch(new RegExp(`interrupted by ${signal}`));
    const survivors = tree.filter(alive);
    expect(survivors.map((pid) => `${pid} ${commandLine(pid)}`)).toEqual([]);
    expect(await ours()).toEqual([]);
  }, 300_000);
});
