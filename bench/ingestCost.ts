/**
 * Where the CSV ingest's time goes, on a benchmark file, each part measured alone in this process
 * (median of --runs, after one warm-up run):
 *
 *   tsx bench/ingestCost.ts [--size 10m] [--runs 3]
 *
 *   read        the file through a 4 MiB buffer, nothing else (the floor: page cache to JS memory)
 *   sha256      read + the streaming hash
 *   utf8/scan   read + isUtf8 + indexOf of the bytes the scanner checks (NUL, quote, CR)
 *   ingest      src/engine/ingest/csvScan.ts's scanPlainCsv, the whole fast path (read, hash, checks, parse)
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { scanPlainCsv } from '../src/engine/ingest/csvScan.js';
import { ensureBenchData, sizeByName } from './generate.js';
import { median } from './stats.js';

async function readAll(file: string, each: (chunk: Buffer) => void): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 22);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      each(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '10m' }, runs: { type: 'string', default: '3' } } });
  const file = ensureBenchData(sizeByName(values.size!), (line) => process.stderr.write(`${line}\n`));
  const parts: Array<[string, () => Promise<unknown>]> = [
    ['read', () => readAll(file, () => {})],
    ['read + sha256', () => { const h = createHash('sha256'); return readAll(file, (c) => h.update(c)).then(() => h.digest('hex')); }],
    ['read + isUtf8 + indexOf(NUL, quote, CR)', () => readAll(file, (c) => { isUtf8(c); c.indexOf(0); c.indexOf(0x22); c.indexOf(0x0d); })],
    ['scanPlainCsv (the whole fast path)', () => scanPlainCsv(file)],
  ];
  const lines = [`CSV ingest parts on the ${values.size} file (median of ${values.runs} runs, ms):`, '', '| part | ms |', '|---|---:|'];
  for (const [name, run] of parts) {
    const times: number[] = [];
    for (let r = 0; r <= Number(values.runs); r++) {
      const start = performance.now();
      await run();
      if (r > 0) times.push(performance.now() - start);
    }
    lines.push(`| ${name} | ${median(times).toFixed(0)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
