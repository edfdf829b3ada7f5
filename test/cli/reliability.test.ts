/**
 * Reliability, through the CLI as a user runs it: output-path failures (a file where a
 * folder should be, a full disk, an I/O error) give one line naming the path, exit 2 when the user
 * can fix it, and leave an earlier output intact; the output is checked before the computation;
 * values near 1e300 are refused instead of writing an all-NaN model; `--json` errors are JSON on
 * stdout. Crashes mid-replace and concurrent runs: test/engine/output/folderCrash.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, type CliRun } from '../helpers/cli.js';
import { DEFAULT_CSV } from '../helpers/datasets.js';
import { useScratchFolder } from '../helpers/scratch.js';

const scratch = useScratchFolder('reliability');
const mounts: string[] = [];
afterAll(async () => {
  for (const mount of mounts) spawnSync('umount', [mount]);
});

/** Every file of a folder with its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('base64');
  return out;
}

function oneLine(run: CliRun): string {
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0];
}

/** A copy of the default data with every price scaled to ~1e300 (valid decimals, finite doubles). */
async function hugePrices(): Promise<string> {
  const lines = (await readFile(DEFAULT_CSV, 'utf8')).trim().split('\n');
  const header = lines[0].split(',');
  const priceAt = header.indexOf('price');
  const out = [lines[0]];
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    cells[priceAt] = `${cells[priceAt]}e296`;
    out.push(cells.join(','));
  }
  const file = join(scratch.dir, 'huge.csv');
  await writeFile(file, `${out.join('\n')}\n`);
  return file;
}

async function earlierOutput(root: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const out = join(root, 'out');
  const first = await runCli(['predict', '--output', out]);
  expect(first.code, first.stderr).toBe(0);
  return out;
}

describe('output path failures', () => {
  it('a file where a parent folder should be (ENOTDIR): one line naming the path, exit 2', async () => {
    const file = join(scratch.dir, 'plain-file');
    await writeFile(file, 'x');
    const run = await runCli(['predict', '--output', join(file, 'sub', 'out')]);
    expect(run.code).toBe(2);
    const line = oneLine(run);
    expect(line).toContain(join(file, 'sub', 'out'));
    expect(line).toMatch(/not a folder/);
  });

  it('the output is checked before the computation: a refused folder is reported even for an input that would fail later', async () => {
    const root = join(scratch.dir, 'check-first');
    const out = join(root, 'out');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'notes.txt'), 'precious');
    // Valid CSV, too few dates: the engine only finds that out after reading and sorting it.
    const lines = (await readFile(DEFAULT_CSV, 'utf8')).split('\n').slice(0, 6).join('\n');
    const short = join(scratch.dir, 'short.csv');
    await writeFile(short, `${lines}\n`);
    const run = await runCli(['predict', '--input', short, '--output', out]);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(/not a pricecast output.*refusing to replace it/);
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('precious');
  });

  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  it.skipIf(!canMount)('a full disk (ENOSPC, a real 256 KiB tmpfs): exit 2, the path in one line, the earlier output intact', async () => {
    const root = join(scratch.dir, 'small-disk');
    await mkdir(root);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', root]);
    if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
    mounts.push(root);
    const out = await earlierOutput(root);
    const before = await snapshot(out);
    // Fill the rest of the disk.
    await writeFile(join(root, 'filler'), Buffer.alloc(512 * 1024)).catch(() => {});
    const run = await runCli(['predict', '--output', out, '--seed', '7']);
    expect(run.code).toBe(2);
    const line = oneLine(run);
    expect(line).toMatch(/no space left on the device \(ENOSPC\)/);
    expect(line).toContain(out);
    expect(line).toMatch(/is unchanged/);
    expect(await snapshot(out)).toEqual(before);
    expect((await readdir(root)).sort()).toEqual(['filler', 'out']);
  });

  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  it.skipIf(!hasStrace)('an I/O error renaming (EIO, injected by strace): one line naming the path, exit 1, the earlier output intact', async () => {
    const root = join(scratch.dir, 'eio');
    const out = await earlierOutput(root);
    const before = await snapshot(out);
    const run = await new Promise<CliRun>((resolve, reject) => {
      const child = spawn(
        'strace',
        ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:error=EIO',
          process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'predict', '--output', out, '--seed', '7'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(1);
    const line = oneLine(run);
    expect(line).toMatch(/input\/output error \(EIO\)/);
    expect(line).toContain(out);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(root)).toEqual(['out']);
  });
});

describe('values near 1e300', () => {
  it('exit 2 with a message naming the column, the earlier output intact (was: an all-NaN model, exit 0)', async () => {
    const root = join(scratch.dir, 'huge');
    const out = await earlierOutput(root);
    const before = await snapshot(out);
    const run = await runCli(['predict', '--input', await hugePrices(), '--output', out]);
    expect(run.code).toBe(2);
    expect(oneLine(run)).toMatch(/the fit overflows: the sum of squares of price over the \d+ training rows/);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(root)).toEqual(['out']);
  });
});

describe('--json with an error', () => {
  it('prints {status, exitCode, error: {kind, message, file, line, column, exitCode}} on stdout, for input errors and usage errors', async () => {
    const bad = join(scratch.dir, 'bad.csv');
    await writeFile(bad, 'date,price,volume,marketCap\n2021-01-01,abc,1,2\n');
    const out = join(scratch.dir, 'json-out');
    const run = await runCli(['predict', '--input', bad, '--output', out, '--json']);
    expect(run.code).toBe(2);
    const printed = JSON.parse(run.stdout);
    expect(printed).toEqual({
      status: 'error',
      exitCode: 2,
      error: { kind: 'input', message: oneLine(run).replace(/^pricecast: /, ''), file: bad, line: 2, column: 'price', exitCode: 2 },
    });
    expect(existsSync(out)).toBe(false);

    const usage = await runCli(['predict', '--seed', 'x', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error).toMatchObject({ kind: 'usage', file: null, line: null, column: null, exitCode: 2 });
  });

  it('the EMR commands report in the same shape, through the same reporter', async () => {
    const predict = await runCli(['predict', '--seed', 'x', '--json']);
    const emr = await runCli(['emr', 'submit', '--seed', 'x', '--json']);
    expect(emr.code).toBe(2);
    const [a, b] = [JSON.parse(predict.stdout), JSON.parse(emr.stdout)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(b.error).sort()).toEqual(Object.keys(a.error).sort());
    expect(b.error).toMatchObject({ kind: 'usage', exitCode: 2 });
    expect(emr.stderr).toMatch(/^pricecast: --seed/);
  });
});
