/**
 * The output protocol's crash matrix, one test per step, for any layout (predict's in
 * test/engine/output/folderCrash.test.ts, the experiment's in test/experiment/folder.test.ts): an output written
 * as version 1, a write of version 2 killed (SIGKILL, PRICECAST_TEST_CRASH_AT) at the step, then the
 * check before the computation must leave one whole output and nothing else beside it, and a write of
 * version 3 must replace it normally.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { OutputStep } from '../../src/engine/output/folder.js';
import { startChild } from './child.js';

/** Where each crash leaves the output before any repair: the earlier one (1), none, or the new one (2). */
export const CRASH_STATES: Array<[OutputStep, 1 | 2 | null]> = [
  ['locked', 1],
  ['staged', 1],
  ['aside', null],
  ['committed', 2],
  ['removing', 2],
  ['removed', 2],
];

export interface ProtocolWriter {
  /** The child script, run as `script write DIR N` and `script <check> DIR` (prints the RecoveryReport as JSON). */
  script: string;
  check: string;
  /** The version N of the whole output in `dir`; fails the test if the output is not whole. */
  versionOf(dir: string): Promise<number>;
}

/** Parent folder `work/name` with an output of version 1 in `out`. */
export async function withEarlierOutput(writer: ProtocolWriter, work: string, name: string): Promise<{ root: string; out: string }> {
  const root = join(work, name);
  await mkdir(root);
  const out = join(root, 'out');
  const first = await startChild(writer.script, ['write', out, '1']).done;
  expect(first.code, first.stderr).toBe(0);
  return { root, out };
}

/** Declares the matrix's tests (inside the caller's describe); `work()` is the test's scratch folder. */
export function crashAtEachStep(writer: ProtocolWriter, work: () => string): void {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => startChild(writer.script, args, env).done;
  it.each(CRASH_STATES)('killed at %s: the next run repairs it and leaves no leftovers', async (step, visible) => {
    const { root, out } = await withEarlierOutput(writer, work(), `crash-${step}`);
    const crashed = await run(['write', out, '2'], { PRICECAST_TEST_CRASH_AT: step });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    // What the crash left: the output path holds a whole output, or (between the two renames) nothing.
    if (visible === null) expect((await readdir(root)).includes('out')).toBe(false);
    else expect(await writer.versionOf(out)).toBe(visible);
    expect((await readdir(root)).some((n) => n.startsWith('.out.'))).toBe(true);

    // The check before the computation already repairs: a whole output, no hidden sibling, no lock.
    const checked = await run([writer.check, out]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(await readdir(root)).toEqual(['out']);
    // Killed between the renames, the new output was complete (staged): the replace is finished.
    expect(await writer.versionOf(out)).toBe(visible ?? 2);
    if (step === 'aside') expect(JSON.parse(checked.stdout).interruptedReplace).toBe('finished');

    const next = await run(['write', out, '3']);
    expect(next.code, next.stderr).toBe(0);
    expect(await writer.versionOf(out)).toBe(3);
    expect(await readdir(root)).toEqual(['out']);
  });
}
