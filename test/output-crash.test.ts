/**
 * The output protocol under crashes (issue 10, item 3): a child process writing an output is killed
 * (SIGKILL, through output.ts's test hook PRICECAST_TEST_CRASH_AT) at every step of the replace; the
 * next run must find the output either complete-earlier or complete-new, restore or finish an
 * interrupted swap, and leave no hidden sibling (`.out.tmp-*`, `.out.old-*`, `.out.lock`) behind.
 * A second process run while the first is stopped mid-write (SIGSTOP at a step) must refuse with one
 * line naming the path and exit 2, leaving the first run to finish (item 7, concurrent runs).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputStep } from '../src/engine/output.js';
import { readSparkOutput } from '../src/readback/sparkOutput.js';
import { startChild, waitUntilStopped } from './helpers/child.js';
import { ROOT } from './helpers/cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pricecast-output-crash-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const WRITER = join(ROOT, 'test', 'helpers', 'output-writer.ts');
const startWriter = (args: string[], env: NodeJS.ProcessEnv = {}) => startChild(WRITER, args, env);
const runWriter = (args: string[], env: NodeJS.ProcessEnv = {}) => startWriter(args, env).done;

async function seedOf(dir: string): Promise<number> {
  return JSON.parse(await readFile(join(dir, '_model.json'), 'utf8')).seed;
}

/** Parent folder with an earlier output (seed 1) in `out`. */
async function withEarlierOutput(name: string): Promise<{ root: string; out: string }> {
  const root = join(work, name);
  await mkdir(root);
  const out = join(root, 'out');
  const first = await runWriter(['write', out, '1']);
  expect(first.code, first.stderr).toBe(0);
  return { root, out };
}

/** Where each crash leaves the output before any repair: the earlier one (1), none, or the new one (2). */
const CRASH_STATES: Array<[OutputStep, 1 | 2 | null]> = [
  ['locked', 1],
  ['staged', 1],
  ['aside', null],
  ['committed', 2],
  ['removing', 2],
  ['removed', 2],
];

describe('a write killed at each step of the replace', () => {
  it.each(CRASH_STATES)('killed at %s: the next run repairs it and leaves no leftovers', async (step, visible) => {
    const { root, out } = await withEarlierOutput(`crash-${step}`);
    const crashed = await runWriter(['write', out, '2'], { PRICECAST_TEST_CRASH_AT: step });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // What the crash left: the output path holds a whole output, or (between the two renames) nothing.
    if (visible === null) {
      expect((await readdir(root)).includes('out')).toBe(false);
    } else {
      expect(await seedOf(out)).toBe(visible);
      expect((await readSparkOutput(out)).predictions.day[0]).toBe(18000 + visible);
    }
    expect((await readdir(root)).some((n) => n.startsWith('.out.'))).toBe(true);

    // The check before the computation already repairs: a complete output, no hidden sibling.
    const prepared = await runWriter(['prepare', out]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(await readdir(root)).toEqual(['out']);
    const seed = await seedOf(out);
    // Killed after the new output was complete (staged or later) only an already-visible new output or
    // a finished swap may show the new one; before that, the earlier one.
    expect(seed).toBe(visible ?? 2);
    if (step === 'aside') expect(JSON.parse(prepared.stdout).interruptedReplace).toBe('finished');
    expect((await readSparkOutput(out)).predictions.day[0]).toBe(18000 + seed);

    // And the next write replaces it normally.
    const next = await runWriter(['write', out, '3']);
    expect(next.code, next.stderr).toBe(0);
    expect(await seedOf(out)).toBe(3);
    expect(await readdir(root)).toEqual(['out']);
  });

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
