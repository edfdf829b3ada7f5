/**
 * The CLI as a user meets it: a child process, its exit code, stdout and stderr, and what it leaves on
 * disk. Bad input must give one line on stderr, exit 2 and no output; an earlier output must survive.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('cli');
/** One good output, written once by the CLI and copied for each case that needs an earlier output. */
let goodOutput: string;
beforeAll(async () => {
  const golden = await mkdtemp(join(tmpdir(), 'pricecast-cli-golden-'));
  goodOutput = join(golden, 'out');
  const run = await runCli(['predict', '--output', goodOutput]);
  if (run.code !== 0) throw new Error(`predict on the default data failed: ${run.stderr}`);
});
afterAll(async () => {
  await rm(dirname(goodOutput), { recursive: true, force: true });
});

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('base64');
  return out;
}

describe('pricecast predict', () => {
  it('prints a human summary with the numbers a user looks for', async () => {
    const out = join(scratch.dir, 'human');
    const run = await runCli(['predict', '--output', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const label of ['rows read', 'duplicates collapsed', 'split', 'price', 'volume', 'marketCap', 'rsi', 'intercept', 'train', 'test', 'RMSE', 'MAE', 'r2']) {
      expect(run.stdout).toContain(label);
    }
    expect(existsSync(join(out, '_SUCCESS'))).toBe(true);
  });

  it('--json prints exactly one JSON object on stdout, equal to _model.json', async () => {
    const out = join(scratch.dir, 'json');
    const run = await runCli(['predict', '--json', '--output', out, '--seed', '3']);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout);
    const model = JSON.parse(await readFile(join(out, '_model.json'), 'utf8'));
    expect(printed.outputDir).toBe(out);
    delete printed.outputDir;
    expect(printed).toEqual(model);
    expect(model.seed).toBe(3);
  });

  it('--help explains every option and exits 0', async () => {
    const run = await runCli(['predict', '--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--input', '--output', '--seed', '--split', '--train-ratio', '--json']) expect(run.stdout).toContain(flag);
  });

  it.each([
    [['--seed', 'abc'], /--seed: expected an integer/],
    [['--seed', '1.5'], /--seed: expected an integer/],
    [['--train-ratio', '1'], /--train-ratio: expected a number strictly between 0 and 1/],
    [['--train-ratio', 'x'], /--train-ratio/],
    [['--split', 'sideways'], /--split: expected "random" or "time"/],
    [['--input', '/nonexistent/file.csv'], /no such file/],
    [['--bogus'], /Unknown option/],
  ])('bad usage %j: one line, exit 2, nothing written', async (args, message) => {
    const out = join(scratch.dir, `usage-${basename(String(args[0]))}`);
    const run = await runCli(['predict', ...args, '--output', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bad input files (fixtures/bad)', async () => {
  const badDir = join(ROOT, 'fixtures', 'bad');
  const files = existsSync(badDir) ? (await readdir(badDir)).filter((f) => f.endsWith('.csv')).sort() : [];

  it('has a bad-input fixture for each case in docs/input.md', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s: one line naming the file, exit 2, no output, earlier output intact', async (name) => {
    const out = join(scratch.dir, `bad-${name}`);
    await cp(goodOutput, out, { recursive: true });
    const before = await snapshot(out);

    const run = await runCli(['predict', '--input', join(badDir, name), '--output', out]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(run.stdout).toBe('');
    expect(await snapshot(out)).toEqual(before);
    // No temporary sibling left behind either.
    expect((await readdir(scratch.dir)).filter((f) => f.includes(`bad-${name}`))).toEqual([`bad-${name}`]);
  });
});

describe('output folder safety', () => {
  it('refuses to replace a folder it did not write, and leaves it untouched', async () => {
    const foreign = join(scratch.dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'precious');
    const run = await runCli(['predict', '--output', foreign]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a pricecast output/);
    expect(await readdir(foreign)).toEqual(['notes.txt']);
    expect(await readFile(join(foreign, 'notes.txt'), 'utf8')).toBe('precious');
  });

  it('replaces its own earlier output', async () => {
    const out = join(scratch.dir, 'replace');
    expect((await runCli(['predict', '--output', out, '--seed', '1'])).code).toBe(0);
    expect((await runCli(['predict', '--output', out, '--seed', '2'])).code).toBe(0);
    const model = JSON.parse(await readFile(join(out, '_model.json'), 'utf8'));
    expect(model.seed).toBe(2);
    expect((await readdir(out)).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
  });
});
