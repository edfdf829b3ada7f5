/**
 * Ingest under hostile inputs, through the CLI as a user runs it (a child
 * process): bounded memory on error paths (1), pipes, FIFOs and stdin read once (2), paths that are
 * not readable files (7), control characters escaped in messages (8). Item 5 (dates before 1582-10-15)
 * is in inputs.test.ts and, for the reference job, in inputs-parity.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../../helpers/cli.js';
import { useScratchFolder } from '../../helpers/scratch.js';

const DEFAULT_CSV = join(ROOT, 'fixtures', 'default.csv');
const MB = 1 << 20;

const scratch = useScratchFolder('reliability');
/** A file of `size` bytes made of `fill`, with optional bytes placed at the end, written in 1 MiB blocks. */
async function bigFile(name: string, size: number, fill: number, tail = Buffer.alloc(0)): Promise<string> {
  const path = join(scratch.dir, name);
  const handle = await open(path, 'w');
  const block = Buffer.alloc(MB, fill);
  for (let written = 0; written < size - tail.length; written += MB) {
    await handle.write(block, 0, Math.min(MB, size - tail.length - written));
  }
  await handle.write(tail);
  await handle.close();
  return path;
}

/**
 * Ingest of `input` in a child process that reports its own peak resident memory (getrusage's maxRSS),
 * so the measure is of the ingest alone, not of vitest.
 */
function ingestPeak(input: string): { message: string; peakMiB: number } {
  const script = `
    import { readDailyInput, prepareDaily } from ${JSON.stringify(join(ROOT, 'src', 'engine', 'ingest', 'input.ts'))};
    let message = 'accepted';
    try { prepareDaily(await readDailyInput(process.argv[1])); } catch (error) { message = error.message; }
    process.stdout.write(JSON.stringify({ message, peakMiB: process.resourceUsage().maxRSS / 1024 }));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, input], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * MB,
  });
  if (run.status !== 0) throw new Error(`child failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { message: string; peakMiB: number };
}

describe('error paths have bounded memory', () => {
  it('a 50 MB file of NUL bytes: one line, exit 2, under 400 MB peak', async () => {
    const input = await bigFile('nul.csv', 50 * MB, 0);
    const { message, peakMiB } = ingestPeak(input);
    expect(message).toMatch(/NUL byte/);
    expect(message.split('\n')).toHaveLength(1);
    expect(peakMiB).toBeLessThan(400);
    const cli = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'nul-out')]);
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(scratch.dir, 'nul-out'))).toBe(false);
  });

  it('a 60 MB line ending in a NUL byte: the line is refused as too long, memory bounded', async () => {
    const input = await bigFile('long-nul.csv', 60 * MB, 0x61, Buffer.from([0, 0x0a]));
    const { message, peakMiB } = ingestPeak(input);
    expect(message).toMatch(/:1: expected lines of at most 65536 bytes/);
    expect(peakMiB).toBeLessThan(400);
  });

  it('an over-long line after a valid header is named by its line number', async () => {
    const input = await bigFile('long-line.csv', 8 * MB, 0x31, Buffer.from('\n'));
    const withHeader = join(scratch.dir, 'long-line-2.csv');
    await writeFile(withHeader, 'date,price,volume,marketCap\n2021-01-01,1,1,1\n');
    const handle = await open(withHeader, 'a');
    for await (const chunk of createReadStream(input)) await handle.write(chunk as Buffer);
    await handle.close();
    const { message } = ingestPeak(withHeader);
    expect(message).toMatch(/:3: expected lines of at most/);
  });
});

describe('inputs that can be read only once', () => {
  it('--input <(cat FILE) (a pipe) gives the same model as the file', async () => {
    const file = await runCli(['predict', '--input', DEFAULT_CSV, '--json', '--output', join(scratch.dir, 'from-file')]);
    expect(file.code).toBe(0);
    const tsx = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(ROOT, 'src', 'cli.ts'))}`;
    const piped = spawnSync('bash', ['-c', `${tsx} predict --input <(cat ${JSON.stringify(DEFAULT_CSV)}) --json --output ${JSON.stringify(join(scratch.dir, 'from-pipe'))}`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
    const [a, b] = [JSON.parse(file.stdout), JSON.parse(piped.stdout)];
    expect(b.model).toEqual(a.model);
    expect(b.input.sha256).toBe(a.input.sha256);
  });

  it('a FIFO is read once (no hang after its writer closes)', async () => {
    const fifo = join(scratch.dir, 'prices.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const run = runCli(['predict', '--input', fifo, '--json', '--output', join(scratch.dir, 'from-fifo')]);
    // The writer: cat, as a user would; it exits once the reader has taken every byte.
    const writer = spawn('sh', ['-c', `cat ${JSON.stringify(DEFAULT_CSV)} > ${JSON.stringify(fifo)}`]);
    const result = await run;
    writer.kill();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rows.afterDedupe).toBe(1000);
  });

  it('--input - reads stdin; bad input there is one line naming stdin', async () => {
    const cliArgs = ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'predict', '--input', '-', '--json', '--output'];
    const good = spawnSync(process.execPath, [...cliArgs, join(scratch.dir, 'from-stdin')], {
      cwd: ROOT,
      encoding: 'utf8',
      input: await import('node:fs/promises').then((fs) => fs.readFile(DEFAULT_CSV)),
    });
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout).rows.afterDedupe).toBe(1000);
    const bad = spawnSync(process.execPath, [...cliArgs, join(scratch.dir, 'bad-stdin')], {
      cwd: ROOT,
      encoding: 'utf8',
      input: 'date,price,volume,marketCap\n2021-01-01,abc,1,1\n',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/stdin:2: column price/);
  });
});

describe('an input path that is not a readable file', () => {
  it.each([
    ['a folder', async () => scratch.dir, /folder/],
    ['a path through a file', async () => join(DEFAULT_CSV, 'x.csv'), /.+/],
    ['no such file', async () => join(scratch.dir, 'nope.csv'), /no such file/],
  ])('%s: one line naming the path, exit 2', async (_name, path, pattern) => {
    const input = await path();
    const run = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'never')]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(input);
    expect(lines[0]).toMatch(pattern);
    expect(existsSync(join(scratch.dir, 'never'))).toBe(false);
  });
});

describe('control characters from the input are escaped', () => {
  it('an ESC in a header name and a line feed in a file name reach stderr escaped, on one line', async () => {
    const input = join(scratch.dir, 'evil\nname.csv');
    await writeFile(input, 'date,price,volume,marketCap,\u001b[31mred\n2021-01-01,1,1,1,x\n2021-01-02,oops\u001b[0m,1,1,y\n');
    const run = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'evil-out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('\u001b');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('evil\\nname.csv:3');
    expect(run.stderr).toContain('\\u001b[0m');
  });

  it('a C1 control (CSI, U+009B) in a value is escaped too', async () => {
    const input = join(scratch.dir, 'c1.csv');
    await copyFile(DEFAULT_CSV, input);
    await writeFile(input, 'date,price,volume,marketCap\n2021-01-01,1\u009b2J,1,1\n');
    const run = await runCli(['predict', '--input', input, '--output', join(scratch.dir, 'c1-out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('\u009b');
    expect(run.stderr).toContain('\\x9b2J');
  });
});
