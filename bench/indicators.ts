/**
 * The feature stage with all 80 indicators (every function of ta 0.11.0's functional API, defaults) on one
 * OHLC series, in the engine and in pandas + ta, in one run:
 *
 *   tsx bench/indicators.ts [--rows 1000000] [--seed 1] [--out FILE.md]
 *
 *   engine: computeFeatures (src/engine/features/spec.ts) over the series, timed as one stage, then
 *           each function alone
 *   pandas: bench/peers/ta_features_peer.py in the project's Python env, each ta function timed around
 *           its call (reading the series is outside the timing), summed
 *
 * The series is fixtures/ohlc.ts's generator (flat days, zero-volume days, gaps). Each side also writes a
 * checksum per function (the sum of its finite values, the count of NaN rows): they are compared, so
 * the times are for the same numbers. One machine, one run, the two measured back to back: the ratio is
 * the figure to read, not the seconds, and CPU time (the stage is single-threaded on both sides) the
 * steadier one on a shared machine. Prints Markdown (the table of bench/INDICATORS.md's speed part).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateOhlc } from '../fixtures/ohlc.js';
import { INDICATORS } from '../src/engine/features/indicators/catalogue.js';
import { computeFeatures, parseFeatureSpec } from '../src/engine/features/spec.js';
import { ensurePythonEnv } from '../src/parity/pyenv.js';
import type { DailyColumns } from '../src/engine/types.js';
import { PROJECT_ROOT } from './generate.js';

interface PeerResult {
  seconds: number;
  cpuSeconds: number;
  functions: Record<string, { seconds: number; cpuSeconds: number; sum: number; sumAbs: number; nan: number }>;
}

/** This process's CPU time (user + system) in seconds: the feature stage runs on the main thread. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The sum of the finite values, of their magnitudes, and the count of NaN rows. */
function checksum(values: Float64Array): { sum: number; sumAbs: number; nan: number } {
  let sum = 0;
  let sumAbs = 0;
  let nan = 0;
  for (const v of values) {
    if (Number.isNaN(v)) nan++;
    else if (Number.isFinite(v)) {
      sum += v;
      sumAbs += Math.abs(v);
    }
  }
  return { sum, sumAbs, nan };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const seed = Number(values.seed ?? 1);
  const ohlc = generateOhlc(rows, seed);
  const columns: DailyColumns = {
    day: Int32Array.from({ length: rows }, (_, i) => i),
    price: ohlc.close,
    volume: ohlc.volume,
    marketCap: ohlc.marketCap,
    open: ohlc.open,
    high: ohlc.high,
    low: ohlc.low,
  };
  const items = parseFeatureSpec(INDICATORS.map((indicator) => indicator.name).join(','));
  const load = loadavg()[0];

  // The engine: the stage as the pipeline runs it, then each function alone (its share).
  const stageStart = performance.now();
  const stageCpu = cpuSeconds();
  const computed = computeFeatures(items, columns, { file: 'bench', layout: 'pricecast' });
  const engineSeconds = (performance.now() - stageStart) / 1000;
  const engineCpu = cpuSeconds() - stageCpu;
  const engineEach = new Map<string, number>();
  for (const item of items) {
    const start = cpuSeconds();
    computeFeatures([item], columns);
    engineEach.set(item.fn, cpuSeconds() - start);
  }

  // pandas + ta, in the project's env.
  const env = await ensurePythonEnv();
  const dir = mkdtempSync(join(tmpdir(), 'pricecast-bench-indicators-'));
  try {
    const input = join(dir, 'series.bin');
    const joined = new Float64Array(4 * rows);
    [ohlc.high, ohlc.low, ohlc.close, ohlc.volume].forEach((array, k) => joined.set(array, k * rows));
    writeFileSync(input, Buffer.from(joined.buffer));
    const output = join(dir, 'peer.json');
    execFileSync(env.python, [join(PROJECT_ROOT, 'bench', 'peers', 'ta_features_peer.py'), '--input', input, '--rows', String(rows), '--output', output], {
      env: env.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const peer = JSON.parse(readFileSync(output, 'utf8')) as PeerResult;

    let worstSum = 0;
    let worstFunction = '';
    let nanMismatches = 0;
    const lines: string[] = [];
    items.forEach((item, k) => {
      const mine = checksum(computed[k]);
      const theirs = peer.functions[item.fn];
      // Relative to the magnitudes: a sum of many values of both signs cancels, and only its order differs.
      const rel = mine.sum === theirs.sum ? 0 : Math.abs(mine.sum - theirs.sum) / Math.max(mine.sumAbs, theirs.sumAbs);
      if (rel > worstSum) [worstSum, worstFunction] = [rel, item.fn];
      if (mine.nan !== theirs.nan) nanMismatches++;
      const engine = engineEach.get(item.fn)!;
      lines.push(`| ${item.fn} | ${engine.toFixed(3)} | ${theirs.cpuSeconds.toFixed(3)} | ${(theirs.cpuSeconds / engine).toFixed(1)} |`);
    });
    const report = [
      `## Speed: the feature stage with all ${items.length} indicators`,
      '',
      `\`tsx bench/indicators.ts --rows ${rows} --seed ${seed}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}),`,
      `1-minute load average ${load.toFixed(2)} at the start (the machine is shared: the ratio, measured back to back, is the figure to read).`,
      '',
      `| all ${items.length} indicators, ${rows.toLocaleString('en-US')} rows | engine (computeFeatures) | pandas + ta | pandas + ta / engine |`,
      '|---|---:|---:|---:|',
      `| CPU time | ${engineCpu.toFixed(2)} s | ${peer.cpuSeconds.toFixed(2)} s | ${(peer.cpuSeconds / engineCpu).toFixed(1)}× |`,
      `| wall time | ${engineSeconds.toFixed(2)} s | ${peer.seconds.toFixed(2)} s | ${(peer.seconds / engineSeconds).toFixed(1)}× |`,
      '',
      `Same numbers on both sides: per function, the sums of the finite values differ by at most ${worstSum.toExponential(2)} of the`,
      `sum of their magnitudes (${worstFunction || 'none'}; plain summation against numpy's pairwise), and`,
      `${nanMismatches === 0 ? 'every function has the same count of NaN rows' : `${nanMismatches} functions differ in their count of NaN rows`}.`,
      '',
      'Per function (CPU seconds; the engine timed alone, ta around its call):',
      '',
      '| function | engine | pandas + ta | ratio |',
      '|---|---:|---:|---:|',
      ...lines,
      '',
    ].join('\n');
    process.stdout.write(report);
    if (values.out !== undefined) writeFileSync(values.out, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
