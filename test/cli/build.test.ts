/**
 * What `npm ci && npm run predict` runs: the esbuild bundle (build.mjs), not the sources. Bundled into
 * a folder of the test's own (inside the project, so the bundle finds the project's files as dist/
 * does), then run as a process on the default data; its --json summary must equal the library's.
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

  it('loads no AWS SDK module for local predict, experiment and forecast runs', async () => {
    // A resolve hook (Node's module.register) logs every @aws-sdk/@smithy specifier the run asks for.
    const log = join(scratch.dir, 'sdk-resolved.log');
    await writeFile(log, '');
    await writeFile(
      join(scratch.dir, 'sdk-hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\n` +
        `export async function resolve(specifier, context, next) {\n` +
        `  if (/^@(aws-sdk|smithy)\\//.test(specifier)) appendFileSync(${JSON.stringify(log)}, specifier + '\\n');\n` +
        `  return next(specifier, context);\n}\n`,
    );
    await writeFile(join(scratch.dir, 'sdk-register.mjs'), `import { register } from 'node:module';\nregister('./sdk-hooks.mjs', import.meta.url);\n`);
    const cli = join(OUTDIR, 'cli.js');
    const runs = [
      ['predict', '--output', join(scratch.dir, 'sdk-predict')],
      ['experiment', '--set', 'base=price,volume,marketCap,rsi', '--output', join(scratch.dir, 'sdk-experiment')],
      ['forecast', '--horizon', '2'],
    ];
    for (const args of runs) {
      const run = spawnSync(process.execPath, ['--import', join(scratch.dir, 'sdk-register.mjs'), cli, ...args], { cwd: scratch.dir, encoding: 'utf8' });
      expect(run.status, `${args[0]}: ${run.stderr}`).toBe(0);
    }
    expect(await readFile(log, 'utf8')).toBe('');
    // The hook does log: an s3:// output asks for the SDK (and fails without credentials or a server).
    spawnSync(process.execPath, ['--import', join(scratch.dir, 'sdk-register.mjs'), cli, 'predict', '--output', 's3://no-such-bucket/out'], {
      cwd: scratch.dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: scratch.dir, AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
    });
    expect(await readFile(log, 'utf8')).toMatch(/@aws-sdk\/client-s3/);
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
