/**
 * The experiment's output folder under the output protocol of src/engine/output/folder.ts: a write killed
 * (SIGKILL through PRICECAST_TEST_CRASH_AT) at each step is repaired by the next run, look-alike
 * folders are refused and left alone, and of two runs writing one folder at once the second refuses
 * with one line while the first completes. The crash matrix runs the experiment's writer in a small
 * child (test/helpers/experimentWriter.ts); the end-to-end cases run `pricecast experiment` itself.
 */
import { mkdir, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startChild, waitUntilStopped } from '../helpers/child.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { crashAtEachStep, withEarlierOutput, type ProtocolWriter } from '../helpers/crashMatrix.js';
import { useScratchFolder } from '../helpers/scratch.js';

const WRITER = join(ROOT, 'test', 'helpers', 'experimentWriter.ts');
const SPARK_WRITER = join(ROOT, 'test', 'helpers', 'outputWriter.ts');
const CLI = join(ROOT, 'src', 'cli.ts');
const REAL = join(ROOT, 'fixtures', 'algorand.csv');
const runWriter = (args: string[], env: NodeJS.ProcessEnv = {}) => startChild(WRITER, args, env).done;

const scratch = useScratchFolder('experiment-output');
/** The N every file of a folder written by the helper carries; throws if the files disagree (a mix). */
async function wholeFolderN(dir: string): Promise<number> {
  expect((await readdir(dir)).sort()).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
  const n = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')).refitEvery;
  expect(await readFile(join(dir, 'forecasts.parquet'), 'utf8')).toBe(`forecasts ${n}`);
  expect(await readFile(join(dir, 'report.html'), 'utf8')).toBe(`<html>report ${n}</html>`);
  return n;
}

const EXPERIMENT_WRITER: ProtocolWriter = { script: WRITER, check: 'check', versionOf: wholeFolderN };
/** Parent folder with an earlier experiment folder (N = 1) in `out`. */
const withEarlierFolder = (name: string) => withEarlierOutput(EXPERIMENT_WRITER, scratch.dir, name);

function expectOneLineRefusal(run: { code: number | null; stderr: string }, out: string, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain(out);
  expect(run.stderr).toMatch(pattern);
}

describe('an experiment folder write killed at each step', () => {
  crashAtEachStep(EXPERIMENT_WRITER, () => scratch.dir);

  it('killed between the renames with an incomplete new folder: the earlier folder is restored', async () => {
    const { root, out } = await withEarlierFolder('restore');
    expect((await runWriter(['write', out, '2'], { PRICECAST_TEST_CRASH_AT: 'aside' })).signal).toBe('SIGKILL');
    const staging = (await readdir(root)).find((n) => n.startsWith('.out.tmp-'))!;
    await unlink(join(root, staging, 'results.json')); // as if results.json (written last) had not been written
    const checked = await runWriter(['check', out]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(await wholeFolderN(out)).toBe(1);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('a leftover that holds anything not of the experiment layout is left alone', async () => {
    const { root, out } = await withEarlierFolder('foreign-leftover');
    const lookalike = join(root, '.out.old-0123456789ab');
    await mkdir(lookalike);
    await writeFile(join(lookalike, 'results.json'), '{}');
    await writeFile(join(lookalike, 'notes.txt'), 'mine');
    const checked = await runWriter(['check', out]);
    expect(checked.code, checked.stderr).toBe(0);
    expect((await readdir(root)).sort()).toEqual(['.out.old-0123456789ab', 'out']);
    expect((await readdir(lookalike)).sort()).toEqual(['notes.txt', 'results.json']);
  });
});

describe('look-alike folders are refused and left alone', () => {
  async function lookalike(name: string, results: string): Promise<string> {
    const out = join(scratch.dir, name);
    await mkdir(out);
    await writeFile(join(out, 'results.json'), results);
    await writeFile(join(out, 'forecasts.parquet'), 'data');
    await writeFile(join(out, 'report.html'), '<html></html>');
    return out;
  }

  it.each([
    ['another tool', '{"tool": "other", "command": "experiment"}', /results\.json was not written by pricecast experiment/],
    ['predict', '{"tool": "pricecast", "command": "predict"}', /results\.json was not written by pricecast experiment/],
    ['no marker', '{"sets": []}', /results\.json was not written by pricecast experiment/],
    ['not JSON', 'results,of,mine\n', /no readable results\.json/],
  ])('the experiment file names with results.json of %s', async (name, results, pattern) => {
    const out = await lookalike(`lookalike-${name.replace(/\W+/g, '-')}`, results);
    const before = await readFile(join(out, 'results.json'), 'utf8');
    expectOneLineRefusal(await runWriter(['write', out, '2']), out, pattern);
    expect(await readFile(join(out, 'results.json'), 'utf8')).toBe(before);
    expect((await readdir(out)).sort()).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
  });

  it('a results.json that is a link to an experiment results file', async () => {
    const { out: real } = await withEarlierFolder('link-target');
    const out = join(scratch.dir, 'linked');
    await mkdir(out);
    await symlink(join(real, 'results.json'), join(out, 'results.json'));
    expectOneLineRefusal(await runWriter(['write', out, '2']), out, /results\.json \(not a regular file\)/);
    expect(await readdir(out)).toEqual(['results.json']);
  });

  it('a predict output is not an experiment output, and an experiment folder is not a predict output', async () => {
    const predictOut = join(scratch.dir, 'predict-out');
    expect((await startChild(SPARK_WRITER, ['write', predictOut, '1']).done).code).toBe(0);
    const predictFiles = (await readdir(predictOut)).sort();
    expectOneLineRefusal(await runWriter(['write', predictOut, '2']), predictOut, /not a pricecast experiment output \(it also holds /);
    expect((await readdir(predictOut)).sort()).toEqual(predictFiles);

    const { out: experimentOut } = await withEarlierFolder('experiment-out');
    const refused = await startChild(SPARK_WRITER, ['write', experimentOut, '2']).done;
    expectOneLineRefusal(refused, experimentOut, /not a pricecast output \(it also holds /);
    expect(await wholeFolderN(experimentOut)).toBe(1);
  });
});

describe('pricecast experiment end to end', () => {
  const experiment = (out: string, refitEvery: number) =>
    ['experiment', '--input', REAL, '--set', 'p=price', '--refit-every', String(refitEvery), '--output', out];
  const emptyRoot = async (name: string) => {
    const root = join(scratch.dir, name);
    await mkdir(root);
    return { root, out: join(root, 'out') };
  };
  const refitOf = async (out: string) => JSON.parse(await readFile(join(out, 'results.json'), 'utf8')).refitEvery;

  it('a run killed between the renames is finished by the next run, which then writes its own', async () => {
    const { root, out } = await emptyRoot('cli-crash');
    expect((await runCli(experiment(out, 5))).code).toBe(0);
    const killed = await startChild(CLI, experiment(out, 6), { PRICECAST_TEST_CRASH_AT: 'aside' }).done;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await readdir(root)).not.toContain('out');
    // A run that then fails on bad input (too few rows, found after the output check) has repaired it.
    const short = join(scratch.dir, 'short.csv');
    await writeFile(short, 'date,price,volume,marketCap\n2020-01-01,1,1,1\n2020-01-02,2,1,1\n');
    const bad = await runCli(['experiment', '--input', short, '--set', 'p=price', '--output', out]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/enough rows for a walk-forward/);
    expect(await readdir(root)).toEqual(['out']);
    expect(await refitOf(out)).toBe(6); // the killed run's folder was complete: its replace was finished
    const next = await runCli(experiment(out, 7));
    expect(next.code, next.stderr).toBe(0);
    expect(await refitOf(out)).toBe(7);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('two experiments writing one folder: the second says another run is writing, the first completes', async () => {
    const { root, out } = await emptyRoot('cli-concurrent');
    const first = startChild(CLI, experiment(out, 5), { PRICECAST_TEST_STOP_AT: 'staged' });
    await waitUntilStopped(first.child.pid!);
    const second = await runCli(experiment(out, 7));
    expectOneLineRefusal(second, out, new RegExp(`another pricecast run \\(pid ${first.child.pid} .*is writing this output right now`));
    expect((await readdir(root)).some((n) => n === 'out')).toBe(false); // the first has not swapped in yet
    first.child.kill('SIGCONT');
    const finished = await first.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(await refitOf(out)).toBe(5);
    expect(await readdir(root)).toEqual(['out']);
  });

  it('a folder holding an earlier experiment is replaced whole', async () => {
    const { root, out } = await emptyRoot('cli-replace');
    expect((await runCli(experiment(out, 5))).code).toBe(0);
    expect((await runCli(experiment(out, 8))).code).toBe(0);
    expect(await refitOf(out)).toBe(8);
    expect((await readdir(out)).sort()).toEqual(['forecasts.parquet', 'report.html', 'results.json']);
    expect(await readdir(root)).toEqual(['out']);
  });
});
