/**
 * `pricecast experiment` from the esbuild bundle (build.mjs), where the worker thread is its own entry
 * (experiment-worker.js): with two threads it must give the same results as the library in one.
 */
import { spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiment/run.js';
import { parseSetFlag } from '../../src/experiment/sets.js';
import { ROOT } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const OUTDIR = join(ROOT, '.cache', `test-dist-experiment-${process.pid}`);
const REAL = join(ROOT, 'fixtures', 'algorand.csv');
const scratch = useScratchFolder('experiment-bundle');

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, env: { ...process.env, PRICECAST_OUTDIR: OUTDIR }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build.mjs failed: ${build.stderr}`);
});
afterAll(async () => {
  await rm(OUTDIR, { recursive: true, force: true });
});

it('runs with two worker threads from the bundle and matches the library', async () => {
  expect(await readdir(OUTDIR)).toContain('experiment-worker.js');
  const sets = ['a=price,volume,marketCap,rsi', 'b=price,macd_diff', 'c=price'];
  const args = sets.flatMap((s) => ['--set', s]);
  const run = spawnSync(
    process.execPath,
    [join(OUTDIR, 'cli.js'), 'experiment', '--input', REAL, ...args, '--refit-every', '2', '--threads', '2', '--output', join(scratch.dir, 'out'), '--json'],
    { cwd: scratch.dir, encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const library = await runExperiment({ input: REAL, sets: sets.map(parseSetFlag), trainRatio: 0.7, refitEvery: 2, target: 'price', threads: 1 });
  expect(JSON.parse(run.stdout).sets).toEqual(JSON.parse(JSON.stringify(library.results.sets)));
});
