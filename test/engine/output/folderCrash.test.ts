/**
 * The output protocol under crashes (docs/output.md#write-protocol): a child process writing an output is killed
 * (SIGKILL, through output.ts's test hook PRICECAST_TEST_CRASH_AT) at every step of the replace; the
 * next run must find the output either complete-earlier or complete-new, restore or finish an
 * interrupted swap, and leave no hidden sibling (`.out.tmp-*`, `.out.old-*`, `.out.lock`) behind.
 * A second process run while the first is stopped mid-write (SIGSTOP at a step) must refuse with one
 * line naming the path and exit 2, leaving the first run to finish (concurrent runs, docs/output.md#the-lock).
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSparkOutput } from '../../../src/readback/sparkOutput.js';
import { startChild, waitUntilStopped } from '../../helpers/child.js';
import { crashAtEachStep, withEarlierOutput as sharedWithEarlierOutput, type ProtocolWriter } from '../../helpers/crashMatrix.js';
import { ROOT } from '../../helpers/cli.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const scratch = useScratchFolder('output-crash');
const WRITER = join(ROOT, 'test', 'helpers', 'outputWriter.ts');
const startWriter = (args: string[], env: NodeJS.ProcessEnv = {}) => startChild(WRITER, args, env);
const runWriter = (args: string[], env: NodeJS.ProcessEnv = {}) => startWriter(args, env).done;

async function seedOf(dir: string): Promise<number> {
  return JSON.parse(await readFile(join(dir, '_model.json'), 'utf8')).seed;
}

/** predict's layout: the version is the report's seed, and the predictions must be that seed's. */
const SPARK_WRITER: ProtocolWriter = {
  script: WRITER,
  check: 'prepare',
  async versionOf(dir) {
    const seed = await seedOf(dir);
    expect((await readSparkOutput(dir)).predictions.day[0]).toBe(18000 + seed);
    return seed;
  },
};
const withEarlierOutput = (name: string) => sharedWithEarlierOutput(SPARK_WRITER, scratch.dir, name);

describe('a write killed at each step of the replace', () => {
  crashAtEachStep(SPARK_WRITER, () => scratch.dir);

  it('killed between the renames with an incomplete new folder: the earlier output is restored', async () => {
    const { root, out } = await withEarlierOutput('restore');
    const crashed = await runWriter(['write', out, '2'], { PRICECAST_TEST_CRASH_AT: 'aside' });
    expect(crashed.signal).toBe('SIGKILL');
    const staging = (await readdir(root)).find((n) => n.startsWith('.out.tmp-'))!;
    await unlink(join(root, staging, '_SUCCESS')); // as if the new folder had never been completed
    const prepared = await runWriter(['prepare', out]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(JSON.parse(prepared.stdout).interruptedReplace).toBe('restored');
    expect(await seedOf(out)).toBe(1);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('killed during recovery itself: the run after that finishes the repair', async () => {
    const { root, out } = await withEarlierOutput('crash-recovering');
    expect((await runWriter(['write', out, '2'], { PRICECAST_TEST_CRASH_AT: 'aside' })).signal).toBe('SIGKILL');
    expect((await runWriter(['prepare', out], { PRICECAST_TEST_CRASH_AT: 'recovered' })).signal).toBe('SIGKILL');
    expect(await seedOf(out)).toBe(2);
    const prepared = await runWriter(['prepare', out]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('leftovers that are not ours are left alone', async () => {
    const { root, out } = await withEarlierOutput('foreign-leftover');
    const lookalike = join(root, '.out.tmp-0123456789ab');
    await mkdir(join(lookalike, 'notes'), { recursive: true });
    const prepared = await runWriter(['prepare', out]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect((await readdir(root)).sort()).toEqual(['.out.tmp-0123456789ab', 'out']);
    expect(await readdir(lookalike)).toEqual(['notes']);
  });
});

describe('two runs writing one output at once', () => {
  it('the second says another run is writing (one line, the path, exit 2); the first completes', async () => {
    const { root, out } = await withEarlierOutput('concurrent');
    const first = startWriter(['write', out, '2'], { PRICECAST_TEST_STOP_AT: 'staged' });
    await waitUntilStopped(first.child.pid!);
    const second = await runWriter(['write', out, '3']);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(out);
    expect(second.stderr).toMatch(new RegExp(`another pricecast run \\(pid ${first.child.pid} `));
    const checking = await runWriter(['prepare', out]);
    expect(checking.code).toBe(2); // the check before the computation refuses too
    first.child.kill('SIGCONT');
    const finished = await first.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(await seedOf(out)).toBe(2);
    expect(await readdir(root)).toEqual(['out']);
  });
});
