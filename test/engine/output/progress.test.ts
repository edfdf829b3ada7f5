/**
 * Progress on stderr (src/engine/output/progress.ts): nothing on a terminal before two seconds of the process,
 * then throttled redraws in place, cleared at the end; nothing on a pipe unless forced, then a line per
 * tenth. The stream here is a stand-in object with `isTTY` and `write` (a real terminal cannot be opened
 * by a test), and the clock is the test's; the CLI's own --progress output is checked beside it.
 */
import { describe, expect, it } from 'vitest';
import { progressReporter, readProgress, shareProgress, SHOW_AFTER_MS, type ProgressOutput } from '../../../src/engine/output/progress.js';
import { ROOT, runCli } from '../../helpers/cli.js';
import { join } from 'node:path';
import { useScratchFolder } from '../../helpers/scratch.js';

function output(isTTY: boolean): ProgressOutput & { written: string[]; at: (ms: number) => void } {
  let now = 0;
  const written: string[] = [];
  return {
    written,
    at: (ms) => {
      now = ms;
    },
    now: () => now,
    stream: { isTTY, write: (text: string | Uint8Array) => written.push(String(text)) > 0 },
  };
}

describe('progressReporter', () => {
  it('on a terminal: silent before SHOW_AFTER_MS, then redrawn in place at most every 200 ms, the last step always, cleared at done()', () => {
    const out = output(true);
    const progress = progressReporter('sets', 40, false, out);
    out.at(SHOW_AFTER_MS - 1);
    for (let i = 0; i < 10; i++) progress.advance();
    expect(out.written).toEqual([]);
    out.at(SHOW_AFTER_MS);
    progress.advance();
    out.at(SHOW_AFTER_MS + 100);
    progress.advance();
    out.at(SHOW_AFTER_MS + 300);
    progress.advance();
    for (let i = 0; i < 27; i++) progress.advance();
    expect(out.written).toEqual(['\rsets 11/40\x1b[K', '\rsets 13/40\x1b[K', '\rsets 40/40\x1b[K']);
    progress.done();
    expect(out.written.at(-1)).toBe('\r\x1b[K');
  });

  it('a quick run on a terminal writes nothing at all, not even the clearing', () => {
    const out = output(true);
    const progress = progressReporter('assets', 3, false, out);
    out.at(500);
    for (let i = 0; i < 3; i++) progress.advance();
    progress.done();
    expect(out.written).toEqual([]);
  });

  it('on a pipe: nothing unless forced; forced, one line per tenth of the work and the last', () => {
    const quiet = output(false);
    const silent = progressReporter('assets', 20, false, quiet);
    for (let i = 0; i < 20; i++) silent.advance();
    silent.done();
    expect(quiet.written).toEqual([]);

    const out = output(false);
    const progress = progressReporter('assets', 4, true, out);
    for (let i = 0; i < 4; i++) progress.advance();
    progress.done();
    expect(out.written).toEqual(['assets 1/4\n', 'assets 2/4\n', 'assets 3/4\n', 'assets 4/4\n']);

    const many = output(false);
    const tenths = progressReporter('assets', 1000, true, many);
    for (let i = 0; i < 1000; i++) tenths.advance();
    expect(many.written).toHaveLength(10);
    expect(many.written.at(-1)).toBe('assets 1000/1000\n');
  });
});

describe('readProgress', () => {
  it('reports rows and the share read; forced on a pipe, a line per tenth', () => {
    const out = output(false);
    const reading = readProgress(true, out);
    reading.read(1_000, 0.05);
    reading.read(250_000, 0.25);
    reading.read(260_000, 0.26);
    reading.read(1_000_001, 1);
    reading.done();
    expect(out.written).toEqual(['reading 250,000 rows (25%)\n', 'reading 1,000,001 rows (100%)\n']);
  });
});

describe('shareProgress', () => {
  it('tells the share done in percent; forced on a pipe, a line per tenth', () => {
    const out = output(false);
    const walking = shareProgress('walk-forward', true, out);
    for (let i = 1; i <= 100; i++) walking.share(i / 100);
    walking.done();
    expect(out.written).toHaveLength(10);
    expect(out.written[0]).toBe('walk-forward 10%\n');
    expect(out.written.at(-1)).toBe('walk-forward 100%\n');
  });
});

describe('--progress on the CLI', () => {
  const scratch = useScratchFolder('progress');
  it('predict --progress tells the rows read on stderr, the summary stays on stdout; without it, stderr is empty', async () => {
    const input = join(ROOT, 'fixtures', 'algorand.csv');
    const run = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'with'), '--progress']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^reading 960 rows \(100%\)\n$/);
    expect(run.stdout).not.toMatch(/reading/);
    const quiet = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'without')]);
    expect(quiet.stderr).toBe('');
  });

  it('experiment --progress on one series: rows read, then the walk-forward share a tenth at a time (one thread: as rows go)', async () => {
    const input = join(ROOT, 'fixtures', 'algorand.csv');
    const run = await runCli(['experiment', '--input', input, '--set', 'base=price,volume,marketCap,rsi', '--threads', '1', '--output', join(scratch.dir, 'experiment'), '--progress']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('reading 960 rows (100%)');
    expect(lines.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `walk-forward ${(i + 1) * 10}%`));
  });
});
