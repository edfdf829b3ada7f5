/**
 * The ingest stage (readDailyInput: read, sha256, checks, parse; what runPipeline times as `ingest`)
 * of this checkout against an earlier one, on the same files, alternating runs, in one invocation:
 *
 *   tsx bench/ingestBeforeAfter.ts --before DIR [--sizes 1m,10m,cmc-1m] [--runs 3]
 *
 * DIR is a checkout of the earlier commit (`git worktree add /tmp/before <commit>`, with a
 * node_modules link). Each run is a fresh Node process importing that checkout's
 * src/engine/ingest/input.ts, so both sides pay the same start-up and JIT warm-up; the figure is the
 * median wall time of the readDailyInput call alone. `cmc-1m` is the 1M-row series in CoinMarketCap's
 * layout (quoted dates, thousands separators): the csv-parse path rather than the fast scanner.
 * Sorting and dedupe are left out: the 10M file has four rows a day, which a whole run now refuses
 * (docs/input.md#not-one-daily-series), while reading it is the same work as ever.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateVendorCsv } from '../fixtures/vendors.js';
import { DATA_DIR, ensureBenchData, PROJECT_ROOT, sizeByName } from './generate.js';
import { median } from './stats.js';

interface Figure {
  ms: number;
  rows: number;
}

function fileFor(size: string): string {
  if (size !== 'cmc-1m') return ensureBenchData(sizeByName(size), (line) => process.stderr.write(`${line}\n`));
  const file = join(DATA_DIR, 'cmc-1m.csv');
  if (!existsSync(file)) {
    mkdirSync(DATA_DIR, { recursive: true });
    process.stderr.write(`generating ${file}\n`);
    writeFileSync(file, generateVendorCsv({ layout: 'coinmarketcap', rows: 1_000_000, seed: 12, startDate: '1583-01-01' }));
  }
  return file;
}

/** One timed readDailyInput of `file` in a fresh process, with `root`'s sources. */
function timeIngest(root: string, file: string): Figure {
  const input = join(root, 'src', 'engine', 'ingest', 'input.ts');
  const code = `
    const { readDailyInput } = await import(${JSON.stringify(input)});
    const start = performance.now();
    const read = await readDailyInput(${JSON.stringify(file)}, {});
    const ms = performance.now() - start;
    console.log(JSON.stringify({ ms, rows: read.rowsRead }));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`ingest in ${root} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Figure;
}

function main(): void {
  const { values } = parseArgs({
    options: { before: { type: 'string' }, sizes: { type: 'string', default: '1m,10m,cmc-1m' }, runs: { type: 'string', default: '3' } },
  });
  if (values.before === undefined) throw new Error('usage: tsx bench/ingestBeforeAfter.ts --before DIR [--sizes 1m,10m,cmc-1m] [--runs N]');
  const before = resolve(values.before);
  const runs = Number(values.runs);
  const lines = ['| file | rows | before ms (median) | after ms (median) | after / before |', '|---|---:|---:|---:|---:|'];
  for (const size of values.sizes!.split(',')) {
    const file = fileFor(size);
    const times: Record<'before' | 'after', number[]> = { before: [], after: [] };
    let rows = 0;
    for (let run = 0; run < runs; run++) {
      // Alternating, so that a change in the machine's load falls on both sides alike.
      for (const [side, root] of [['before', before], ['after', PROJECT_ROOT]] as const) {
        const figure = timeIngest(root, file);
        times[side].push(figure.ms);
        rows = figure.rows;
        process.stderr.write(`${size} ${side} run ${run + 1}: ${figure.ms.toFixed(0)} ms (${figure.rows} rows)\n`);
      }
    }
    const b = median(times.before);
    const a = median(times.after);
    lines.push(`| ${size} | ${rows.toLocaleString('en')} | ${b.toFixed(0)} | ${a.toFixed(0)} | ${(a / b).toFixed(2)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
