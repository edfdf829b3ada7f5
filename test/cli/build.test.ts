/**
 * What `npm ci && npm run predict` runs: the esbuild bundle (build.mjs), not the sources. Bundled into
 * a folder of the test's own (inside the project, so the bundle finds the project's files as dist/
 * does), then run as a process on the default data; its --json summary must equal the library's.
 */
import { spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/engine/pipeline.js';
import { ROOT } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const OUTDIR = join(ROOT, '.cache', `test-dist-${process.pid}`);
const scratch = useScratchFolder('build');

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: ROOT, env: { ...process.env, PRICECAST_OUTDIR: OUTDIR }, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build.mjs failed: ${build.stderr}`);
});
afterAll(async () => {
  await rm(OUTDIR, { recursive: true, force: true });
});

describe('the bundled CLI', () => {
  it('keeps parity and emr in chunks of their own, so predict loads neither', async () => {
    const files = await readdir(OUTDIR);
    expect(files).toContain('cli.js');
    expect(files.some((f) => f.startsWith('commands-') && f.endsWith('.js'))).toBe(true);
  });

  it('runs predict on the default data and prints the same model as the library', async () => {
    const out = join(scratch.dir, 'out');
    const run = spawnSync(process.execPath, [join(OUTDIR, 'cli.js'), 'predict', '--json', '--output', out], { cwd: scratch.dir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const printed = JSON.parse(run.stdout);
    const library = await runPipeline({ input: join(ROOT, 'fixtures', 'algorand.csv') }); // the default input
    expect(printed.model).toEqual(library.report.model);
    expect(printed.training).toEqual(library.report.training);
    expect(printed.outputDir).toBe(out);
  });

  it('answers emr plan without credentials (the AWS SDK chunk loads on demand)', () => {
    const run = spawnSync(process.execPath, [join(OUTDIR, 'cli.js'), 'emr', 'plan', '--bucket', 'example-bucket'], {
      cwd: scratch.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: scratch.dir },
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).uploads.length).toBeGreaterThanOrEqual(3);
  });
});
